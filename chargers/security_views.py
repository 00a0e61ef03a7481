"""Who may connect, managed from the dashboard: rejected handshakes (admit one
with a click) and each charger's security profile and AuthorizationKey."""

from __future__ import annotations

import secrets

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import Charger, RejectedAttempt
from .roles import admin_required


class SecurityForm(forms.Form):
    security_profile = forms.TypedChoiceField(
        label="Security profile",
        coerce=int,
        choices=[(0, "0: no authentication"), (1, "1: Basic auth"), (2, "2: Basic auth over TLS")],
    )
    authorization_key = forms.CharField(
        label="New AuthorizationKey",
        required=False,
        min_length=16,
        max_length=40,
        strip=False,
        help_text="16 to 40 characters, or up to 40 hex digits (16-20 bytes). Leave empty to keep the current one.",
        widget=forms.PasswordInput(render_value=False),
    )
    generate = forms.BooleanField(label="Generate a new random key (shown once)", required=False)

    def __init__(self, *args, charger: Charger, **kwargs):
        super().__init__(*args, **kwargs)
        self.charger = charger

    def clean(self):
        data = super().clean()
        has_key = bool(self.charger.auth_key_hash or data.get("authorization_key") or data.get("generate"))
        if data.get("security_profile", 0) >= 1 and not has_key:
            self.add_error("authorization_key", "Profiles 1 and 2 need an AuthorizationKey: set or generate one.")
        return data


@admin_required
def charger_security(request: HttpRequest, cp_id: str) -> HttpResponse:
    charger = get_object_or_404(Charger, charge_point_id=cp_id)
    form = SecurityForm(request.POST or None, charger=charger, initial={"security_profile": charger.security_profile})
    shown_key = ""
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["authorization_key"]
        if form.cleaned_data["generate"]:
            key = shown_key = secrets.token_hex(20)  # 20 bytes as 40 hex digits
        if key:
            charger.set_authorization_key(key)
        charger.security_profile = form.cleaned_data["security_profile"]
        if charger.security_profile == 0:
            charger.auth_key_hash = ""
        charger.save(update_fields=["security_profile", "auth_key_hash"])
        form = SecurityForm(charger=charger, initial={"security_profile": charger.security_profile})
    context = {"charger": charger, "form": form, "shown_key": shown_key, "saved": request.method == "POST"}
    return render(request, "chargers/security.html", context, status=422 if form.errors else 200)


@admin_required
def rejected_list(request: HttpRequest) -> HttpResponse:
    return render(request, "chargers/rejected.html", {"attempts": RejectedAttempt.objects.all()[:200]})


@admin_required
@require_POST
def rejected_admit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admit a charger that was refused in known-chargers mode."""
    attempt = get_object_or_404(RejectedAttempt, pk=pk)
    Charger.objects.get_or_create(charge_point_id=attempt.charge_point_id[:48])
    RejectedAttempt.objects.filter(charge_point_id=attempt.charge_point_id).delete()
    return redirect("rejected-list")
