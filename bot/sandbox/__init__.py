"""A Jinja2 sandbox for user-authored templates with bounded work: small enough to import in a worker process.

`limits` holds what may be spent and the refusals, `checks` reads a template before it is compiled,
`filters` are the only filters, tests and globals there are (each with its argument limits), and
`engine` compiles and renders; `engine.render_request` is what a worker process runs. Nothing
here knows which variables a capability offers: it passes them in (`Vocabulary`).
"""
