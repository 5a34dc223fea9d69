"""`make bench`: every benchmark, one after the other."""

from __future__ import annotations

import asyncio

from bench import duplicates, pipeline, top

if __name__ == "__main__":
    asyncio.run(pipeline.main())
    asyncio.run(top.main())
    asyncio.run(duplicates.main())
