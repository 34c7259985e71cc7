"""What both faces call: submitting and running jobs, the worker loop, status, review decisions.
The CLI (`adloc.cli`) and the web app (`adloc.web`) parse and print; the rules live here."""


def database(url: str):
    """The asset database at `url` (a SQLAlchemy engine), at this version's schema; SchemaError
    when it is not."""
    from adloc.assets_db.engine import engine_for

    return engine_for(url)
