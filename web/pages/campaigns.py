"""stub"""

ROUTES: list = []
