"""URL patterns of this part of certify (owned by one module set)."""

urlpatterns: list = []
