from django.apps import AppConfig


class TinyCatalogConfig(AppConfig):
    """Adds the one registry line a new catalog needs, once the apps are loaded."""

    name = "tests.certify.tiny_app"
    label = "tiny_catalog"

    def ready(self) -> None:
        from certify import catalogs

        catalogs.CATALOGS["tiny-two"] = "tests.certify.tiny_catalog"
