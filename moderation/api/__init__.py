"""The REST API (Django REST framework): integrations push posts, integrations and staff read casework.

Thin views over services and selectors, like the browser views: no state changes here.
"""
