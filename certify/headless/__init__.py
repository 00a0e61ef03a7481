"""Run a certification without a browser, for firmware teams' pipelines:
`python manage.py certify --charger CP1 --url ws://host:8000/ocpp/`.

The run talks to the server only through its JSON API, exactly as the buttons
do, so it works against a server in another process or on another machine. It
reads the charger's evidence log (GET /api/chargers/<id>/frames) to know what
the charger did, and waits for that evidence after every command and physical
step; it pauses for a fixed time only where time itself is the test (charging
for a few sample intervals, a moment between two drivers). Physical steps go to a Performer
(steps.py): a hook script, a person reading stderr, or the simulator.

Order and state: items whose evidence cannot spoil each other run side by side
(lanes); the offline item runs alone; resets and firmware come last, only with
no transaction running, and each reboot is awaited until the charger is back
(BootNotification accepted, statuses in).
"""
