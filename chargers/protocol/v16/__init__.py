"""OCPP 1.6-J: its actions, handlers, schemas, default payloads and what its log says."""
