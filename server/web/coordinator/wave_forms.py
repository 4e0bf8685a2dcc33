"""The coordinator's fieldwork forms: a campaign, a wave and its test plan, assigning and
closing a wave, moving a mission, recording a reply, and the scenario library.

The forms check only what a browser can get wrong (a number that is not one, an empty name);
the rules are the services' (``waves``, ``wave_plans``, ``assignments``, ``replies``,
``scenarios``), whose French messages the routes put back next to their field with
:func:`put_service_errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from server.models import CHANNEL_LABELS, Referentiel
from server.services.campaigns import FIRST_YEAR
from server.services.wave_plans import (
    DEFAULT_COUNTS,
    DEFAULT_REPLY_DAYS,
    MAX_PER_CHANNEL,
    MAX_REPLY_DAYS,
    MIN_REPLY_DAYS,
)
from server.services.waves import DEFAULT_RULES, WaveRequest
from server.web.coordinator.forms import FrenchForm
from survey_schemas import CHANNELS

LAST_YEAR = 2100


def put_service_errors(
    form: FrenchForm, errors: Mapping[str, Any], fields: Mapping[str, str] | None = None
) -> list[str]:
    """A service refusal's messages on the fields they name (``fields`` maps a service key to
    a field name when they differ); returns the messages no field of the form is about."""
    others: list[str] = []
    for key, messages in errors.items():
        texts = [messages] if isinstance(messages, str) else [str(m) for m in messages]
        name = (fields or {}).get(key, key)
        if name in form:
            form[name].errors = [*form[name].errors, *texts]
        else:
            others.extend(texts)
    return others


def readable_message(form: FrenchForm, message: str) -> str:
    """A service message that starts with a field's code name (« received_at : … ») starts
    with the field's label instead, as the person reads it on the form."""
    name, separator, rest = message.partition(" : ")
    if separator and name in form:
        return f"{form[name].label.text} : {rest}"
    return message


def _count_field(label: str, default: int | None) -> IntegerField:
    return IntegerField(
        label,
        default=default,
        validators=[
            InputRequired(f"Indiquez le nombre de tests ({label.lower()}).")
            if default is not None
            else Optional(),
            NumberRange(min=0, max=MAX_PER_CHANNEL, message=f"De 0 à {MAX_PER_CHANNEL} tests."),
        ],
        invalid_value_message="Indiquez un nombre entier de tests, par exemple 2.",
    )


def _reply_days_field(channel: str, one: str, all_of: str) -> IntegerField:
    return IntegerField(
        f"Délai de réponse à {one} (jours ouvrés)",
        default=DEFAULT_REPLY_DAYS[channel],
        validators=[
            InputRequired(f"Indiquez le délai de réponse {all_of}."),
            NumberRange(
                min=MIN_REPLY_DAYS,
                max=MAX_REPLY_DAYS,
                message=f"De {MIN_REPLY_DAYS} à {MAX_REPLY_DAYS} jours ouvrés.",
            ),
        ],
        invalid_value_message="Indiquez un nombre entier de jours ouvrés.",
    )


class CampaignForm(FrenchForm):
    name = StringField(
        "Nom de la campagne",
        validators=[
            InputRequired("Indiquez le nom de la campagne."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    year = IntegerField(
        "Année",
        validators=[
            InputRequired("Indiquez l’année de la campagne."),
            NumberRange(
                min=FIRST_YEAR, max=LAST_YEAR, message=f"Entre {FIRST_YEAR} et {LAST_YEAR}."
            ),
        ],
        invalid_value_message="Indiquez une année, par exemple 2026.",
    )
    #: Not checked against its choices: the service names the stored référentiels when the
    #: one asked for is unknown (a version removed since the page was shown, say).
    referentiel = SelectField(
        "Référentiel",
        validate_choice=False,
        validators=[InputRequired("Choisissez le référentiel de la campagne.")],
    )
    submit = SubmitField("Créer la campagne")

    def set_choices(self, stored: Sequence[Referentiel]) -> None:
        self.referentiel.choices = [
            SelectChoice("", "Choisissez…"),
            *(
                SelectChoice(f"{r.code}:{r.version}", f"{r.code} v{r.version} · {r.name}")
                for r in stored
            ),
        ]

    def referentiel_asked(self) -> tuple[str, int | None]:
        """The chosen ``code:version`` as the service's ``(code, version)``."""
        code, _, version = (self.referentiel.data or "").partition(":")
        return code, int(version) if version.isdigit() else None


class WaveForm(FrenchForm):
    """A wave: dates, test plan, reply deadlines and the main assignment rules.

    The per-network overrides are fields ``network_<i>_<channel>`` added by :func:`wave_form`
    for the networks of the campaign's sample; an empty one keeps the default count.
    """

    networks: tuple[str, ...] = ()

    name = StringField(
        "Nom de la vague",
        validators=[
            InputRequired("Indiquez le nom de la vague."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    start = DateField(
        "Premier jour",
        validators=[InputRequired("Indiquez le premier jour de la vague.")],
        invalid_value_message="Date attendue, par exemple 02/03/2026.",
    )
    end = DateField(
        "Dernier jour",
        validators=[InputRequired("Indiquez le dernier jour de la vague.")],
        invalid_value_message="Date attendue, par exemple 24/04/2026.",
    )
    count_visit = _count_field(CHANNEL_LABELS["visit"], DEFAULT_COUNTS["visit"])
    count_phone = _count_field(CHANNEL_LABELS["phone"], DEFAULT_COUNTS["phone"])
    count_email = _count_field(CHANNEL_LABELS["email"], DEFAULT_COUNTS["email"])
    count_letter = _count_field(CHANNEL_LABELS["letter"], DEFAULT_COUNTS["letter"])
    count_website = _count_field(CHANNEL_LABELS["website"], DEFAULT_COUNTS["website"])
    lockout_waves = IntegerField(
        "Vagues sans retour sur un site visité",
        description="Un enquêteur ne retourne pas sur un site qu’il a visité lors de ces "
        "dernières vagues (0 : pas de verrou).",
        default=1,
        validators=[
            InputRequired("Indiquez le nombre de vagues (0 pour aucun verrou)."),
            NumberRange(min=0, max=10, message="De 0 à 10 vagues."),
        ],
        invalid_value_message="Indiquez un nombre entier de vagues.",
    )
    reply_email = _reply_days_field("email", "un courriel", "aux courriels")
    reply_letter = _reply_days_field("letter", "un courrier", "aux courriers")
    remote_per_site = IntegerField(
        "Tests à distance d’un même site par enquêteur",
        description="Appels, courriels, courriers et consultations du site internet d’un même "
        "site confiés à un même enquêteur, au plus (vide : sans limite).",
        default=DEFAULT_RULES["remote_per_site"],
        validators=[Optional(), NumberRange(min=1, message="Au moins 1 (vide : sans limite).")],
        invalid_value_message="Indiquez un nombre entier, ou laissez vide.",
    )
    home_commune = BooleanField(
        "Pas de test dans la commune de résidence de l’enquêteur", default=True
    )
    lockout = BooleanField(
        "Pas de retour sur un site visité lors des vagues récentes", default=True
    )
    same_site_in_wave = BooleanField(
        "Pas deux visites d’un même site par un même enquêteur dans la vague", default=True
    )
    preview = SubmitField("Recalculer les missions")
    submit = SubmitField("Ouvrir la vague")

    def count_field(self, channel: str) -> Any:
        return self[f"count_{channel}"]

    def override_field(self, index: int, channel: str) -> Any:
        return self[f"network_{index}_{channel}"]

    def plan_fields(self) -> list[Any]:
        """The default counts and every network's overrides."""
        fields = [self.count_field(channel) for channel in CHANNELS]
        for index in range(len(self.networks)):
            fields.extend(self.override_field(index, channel) for channel in CHANNELS)
        return fields

    def plan(self) -> dict[str, Any]:
        """The plan as the service takes it: default counts, and the networks' overrides
        (only the counts typed in: an empty one keeps the default)."""
        networks: dict[str, dict[str, int]] = {}
        for index, network in enumerate(self.networks):
            typed: dict[str, int] = {
                channel: self.override_field(index, channel).data
                for channel in CHANNELS
                if self.override_field(index, channel).data is not None
            }
            if typed:
                networks[network] = typed
        default = {channel: self.count_field(channel).data for channel in CHANNELS}
        return {"default": default, "networks": networks}

    def wave_request(self) -> WaveRequest:
        return WaveRequest(
            name=self.name.data or "",
            start=self.start.data,
            end=self.end.data,
            plan=self.plan(),
            lockout_waves=self.lockout_waves.data,
            reply_days={"email": self.reply_email.data, "letter": self.reply_letter.data},
            rules={
                "remote_per_site": self.remote_per_site.data,
                "home_commune": self.home_commune.data,
                "lockout": self.lockout.data,
                "same_site_in_wave": self.same_site_in_wave.data,
            },
        )


#: Service error keys (``waves``, ``wave_plans``) → the wave form's field.
WAVE_ERROR_FIELDS = {"reply_days": "reply_email"}


def wave_form(networks: Sequence[str], **kwargs: Any) -> WaveForm:
    """The wave form with one row of override counts per network of the sample."""

    class NetworkWaveForm(WaveForm):
        pass

    NetworkWaveForm.networks = tuple(networks)
    for index, network in enumerate(networks):
        for channel in CHANNELS:
            setattr(
                NetworkWaveForm,
                f"network_{index}_{channel}",
                _count_field(f"{network} · {CHANNEL_LABELS[channel]}", None),
            )
    return NetworkWaveForm(**kwargs)


class AssignForm(FrenchForm):
    submit = SubmitField("Attribuer les missions")


class CloseWaveForm(FrenchForm):
    confirm = BooleanField(
        "Je confirme la clôture : les missions encore ouvertes seront closes comme non réalisées"
    )
    submit = SubmitField("Clore la vague")

    def validate_confirm(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError("Cochez cette case pour clore la vague.")


class ReassignForm(FrenchForm):
    investigator = SelectField(
        "Enquêteur",
        validate_choice=False,
        validators=[InputRequired("Choisissez un enquêteur.")],
    )
    force_confirm = BooleanField("Je confirme : attribuer malgré la règle non respectée")
    assign = SubmitField("Attribuer")
    force = SubmitField("Attribuer quand même")

    def set_choices(self, loads: Sequence[Mapping[str, Any]]) -> None:
        """Active investigators with their load in the wave."""
        choices = [SelectChoice("", "Choisissez…")]
        for row in loads:
            if not row["active"]:
                continue
            label = (
                f"{row['name']} — {row['load']}/{row['capacity']} missions, "
                f"{row['visits']}/{row['visit_capacity']} visites"
            )
            choices.append(SelectChoice(str(row["investigator_id"]), label))
        self.investigator.choices = choices

    def validate_investigator(self, field: SelectField) -> None:
        if not str(field.data or "").isdigit():
            raise ValidationError("Choisissez un enquêteur de la liste.")

    def investigator_id(self) -> int:
        return int(self.investigator.data)

    @property
    def forced(self) -> bool:
        """Both the second button and its confirmation: only then is a rule overridden."""
        return bool(self.force.data and self.force_confirm.data)


class RequestSentForm(FrenchForm):
    sent_at = DateTimeLocalField(
        "Demande envoyée le (heure du site)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Indiquez la date et l’heure de l’envoi.")],
        invalid_value_message="Date et heure attendues, par exemple 02/03/2026 09:30.",
    )
    record_sent = SubmitField("Enregistrer l’envoi")

    def sent_in(self, zone: str) -> datetime:
        """The typed local time in the site's zone, as an aware datetime."""
        moment: datetime = self.sent_at.data
        return moment.replace(tzinfo=ZoneInfo(zone))


class ReplyForm(FrenchForm):
    received_at = DateTimeLocalField(
        "Réponse reçue le (heure du site)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Indiquez la date et l’heure de réception.")],
        invalid_value_message="Date et heure attendues, par exemple 04/03/2026 10:15.",
    )
    text = TextAreaField("Texte de la réponse (facultatif)", validators=[Optional()])
    scan = FileField(
        "Numérisation de la réponse (facultatif)",
        description="PDF, JPEG ou PNG, pour un courrier reçu par la poste.",
    )
    correction = BooleanField("Corriger la réponse déjà enregistrée")
    record = SubmitField("Enregistrer la réponse")

    def received_in(self, zone: str) -> datetime:
        """The typed local time in the site's zone, as an aware datetime."""
        moment: datetime = self.received_at.data
        return moment.replace(tzinfo=ZoneInfo(zone))


class ScenarioForm(FrenchForm):
    network = StringField(
        "Réseau",
        description="Tel qu’écrit dans la base de sondage, par exemple « Préfecture ».",
        validators=[
            InputRequired("Indiquez le réseau."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    channel = SelectField(
        "Canal",
        choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        invalid_choice_message="Choisissez un des canaux proposés.",
    )
    title = StringField(
        "Titre",
        validators=[
            InputRequired("Indiquez un titre court."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    text = TextAreaField(
        "Scénario",
        description="Ce que l’enquêteur demande, comme le ferait un usager.",
        validators=[InputRequired("Écrivez le scénario.")],
    )
    active = BooleanField("Actif (proposé aux nouvelles vagues)", default=True)
    submit = SubmitField("Enregistrer le scénario")

    def values(self) -> dict[str, Any]:
        return {
            "network": self.network.data or "",
            "channel": self.channel.data,
            "title": self.title.data or "",
            "text": self.text.data or "",
            "active": bool(self.active.data),
        }


class ScenarioActivationForm(FrenchForm):
    submit = SubmitField("Changer")


class ScenarioImportForm(FrenchForm):
    file = FileField(
        "Fichier des scénarios (CSV)",
        description="Colonnes reseau, canal, titre, texte et actif (oui ou non) ; séparateur "
        "point-virgule ou virgule. Un scénario de même réseau, canal et titre est mis à jour.",
        validators=[FileRequired("Choisissez le fichier CSV à importer.")],
    )
    submit = SubmitField("Importer")
