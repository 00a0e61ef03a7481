from django.apps import AppConfig


class CertifyConfig(AppConfig):
    name = "certify"
    verbose_name = "Certification sessions"

    def ready(self) -> None:
        """Plug the sessions into the OCPP core: verdicts follow committed frames,
        item 18's trigger follows a boot, a running case scripts our answers, a
        session's cards answer for their id tags."""
        from chargers import hooks

        from . import evidence, reactions

        hooks.frames_committed.register(reactions.on_frames)
        hooks.call_answered.register(reactions.trigger_status_after_boot)
        hooks.answer_sources.register(reactions.scripted_answer)
        hooks.answer_sources.register(reactions.session_card)
        hooks.page_secrets.register(evidence.charger_secrets)
