from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig


class StaticFilesConfig(BaseStaticFilesConfig):
    """collectstatic leaves out the front-end sources (static/src): only their build is served."""

    ignore_patterns = [*BaseStaticFilesConfig.ignore_patterns, "src"]
