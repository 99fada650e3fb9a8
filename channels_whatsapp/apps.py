from django.apps import AppConfig


class ChannelsWhatsappConfig(AppConfig):
    name = "channels_whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        from channels_whatsapp import accounts, contacts, failure_reasons, outbound, retries, system_notes, views
        from channels_whatsapp import demo as whatsapp_demo
        from tickets import hooks

        hooks.register_outbound_handler("whatsapp", outbound.outbound_handle)
        hooks.register_reply_preparer("whatsapp", outbound.prepare_reply)
        hooks.register_channel_info("whatsapp", accounts.channel_info)
        hooks.register_ticket_related("whatsapp")
        hooks.register_seeder("whatsapp", whatsapp_demo.seed)
        hooks.register_contact_panel(views.CONTACT_PANEL, views.contact_panel_context)
        hooks.register_contact_merge_listener(contacts.contact_merged)
        hooks.register_failure_words(hooks.FailureWords(failure_reasons.reason_for, failure_reasons.for_browser))
        hooks.register_failed_message_actions(
            "whatsapp", retries.FAILED_ACTIONS_TEMPLATE, retries.failed_actions_context
        )
        for note, wording in system_notes.WORDINGS.items():
            hooks.register_system_note_wording(note, wording)
