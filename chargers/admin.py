from django.contrib import admin

from .models import ApiToken, Charger, IdTag, Transaction


@admin.register(Charger)
class ChargerAdmin(admin.ModelAdmin):
    list_display = ["charge_point_id", "vendor", "model", "firmware_version", "connected", "last_frame_at"]
    search_fields = ["charge_point_id", "vendor", "model", "serial_number"]


@admin.register(IdTag)
class IdTagAdmin(admin.ModelAdmin):
    list_display = ["id_tag", "status", "expiry_date", "parent_id_tag"]


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["id", "charger", "connector_id", "id_tag", "meter_start", "meter_stop", "stop_reason"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash"]
