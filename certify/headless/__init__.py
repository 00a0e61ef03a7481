"""Run a certification without a browser, for firmware teams' pipelines:
`python manage.py certify --charger CP1 --url ws://host:8000/ocpp/`.

The run talks to the server only through its JSON API (api.py), exactly as the
buttons do, so it works against a server in another process or on another
machine. It reads the charger's evidence log (GET /api/chargers/<id>/frames,
tail.py) to know what the charger did, and waits for that evidence after every
command and physical step; it pauses for a fixed time only where time itself is
the test. Physical steps go to a Performer (steps.py): a hook script, a person
reading stderr, or the simulator.

The run is handed its catalog (run.py): the catalog's plan says the order
(stages one after the other, lanes of cases whose evidence cannot spoil each
other side by side) and each case's `drive` does its part. Nothing here names
a case, and nothing here imports a catalog, a model or the server's modules.
What the run leaves behind is in artifacts.py.
"""
