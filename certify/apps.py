from django.apps import AppConfig


class CertifyConfig(AppConfig):
    name = "certify"
    verbose_name = "Certification sessions"

    def ready(self) -> None:
        """Plug the sessions into the OCPP core: verdicts follow committed frames,
        item 18's trigger follows a boot, item 16's refusal guards handshakes, a session's cards answer Authorize."""
        from chargers import consumers, frames, protocol

        from . import engine, services

        if engine.on_frames not in frames.frame_listeners:
            frames.frame_listeners.append(engine.on_frames)
        if services.watch_connection not in consumers.connection_hooks:
            consumers.connection_hooks.append(services.watch_connection)
        if services.refusing_check not in consumers.handshake_checks:
            consumers.handshake_checks.append(services.refusing_check)
        if services.session_card not in protocol.id_tag_sources:
            protocol.id_tag_sources.append(services.session_card)
