from django.contrib import admin

from channels_whatsapp.simulator.models import SimContact, SimMedia, SimMessage, SimTemplate, SimulatorFault


@admin.register(SimTemplate)
class SimTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "category", "status", "waba_id"]
    list_filter = ["status", "category", "language"]
    search_fields = ["name", "body"]


@admin.register(SimMessage)
class SimMessageAdmin(admin.ModelAdmin):
    list_display = ["wamid", "direction", "phone_number_id", "wa_id", "type", "status", "error_code", "sent_at"]
    list_filter = ["direction", "type", "status"]
    search_fields = ["wamid", "wa_id", "text"]
    readonly_fields = ["token_hash", "created_at"]


@admin.register(SimMedia)
class SimMediaAdmin(admin.ModelAdmin):
    list_display = ["media_id", "origin", "mime_type", "filename", "size", "created_at"]
    list_filter = ["origin"]
    exclude = ["content"]
    readonly_fields = ["sha256", "size", "token_hash", "created_at"]


admin.site.register(SimContact)
admin.site.register(SimulatorFault)
