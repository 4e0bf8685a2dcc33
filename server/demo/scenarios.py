"""The demo's scenario library: realistic requests an ordinary user makes, per network and
channel. Investigators play them as written; several per pair, so one site's tests vary."""

from __future__ import annotations

from typing import Final

from server.demo.frame import (
    BU,
    EDUCATION,
    FRANCE_SERVICES,
    PREFECTURE,
    SIP,
    SOUS_PREFECTURE,
    TRIBUNAL,
)

#: The website check is the same for every network: what DOMAIN.md §3 says a site must show.
_WEBSITE = (
    "Contrôle du site internet",
    "Relevez sur le site internet les horaires d’ouverture, l’adresse et les moyens d’accès, "
    "l’information sur l’accès des personnes à mobilité réduite, et la publication des "
    "résultats de satisfaction des usagers.",
)

_LIBRARY: Final[dict[str, dict[str, tuple[tuple[str, str], ...]]]] = {
    PREFECTURE: {
        "visit": (
            (
                "Carte d’identité perdue",
                "Vous avez perdu votre carte d’identité et partez à "
                "l’étranger dans un mois : vous demandez comment la refaire et les pièces à "
                "fournir.",
            ),
            (
                "Titre de séjour d’un proche",
                "Vous accompagnez un proche dont le titre de séjour "
                "expire dans deux mois : vous demandez la démarche de renouvellement.",
            ),
            (
                "Certificat d’immatriculation",
                "Vous venez d’acheter une voiture d’occasion : "
                "vous demandez de l’aide pour la carte grise, faute d’y arriver en ligne.",
            ),
        ),
        "phone": (
            (
                "Horaires et rendez-vous",
                "Vous appelez pour savoir s’il faut un rendez-vous "
                "pour déposer un dossier de titre de séjour, et comment l’obtenir.",
            ),
            (
                "Permis de conduire",
                "Vous appelez car votre permis de conduire a été volé : "
                "que faire, et pouvez-vous conduire en attendant ?",
            ),
        ),
        "email": (
            (
                "Pièces pour une carte grise",
                "Vous écrivez pour demander la liste des pièces "
                "pour changer l’adresse de votre carte grise après un déménagement.",
            ),
            (
                "Délai d’un titre de séjour",
                "Vous demandez le délai actuel de traitement d’une "
                "première demande de titre de séjour étudiant.",
            ),
        ),
        "letter": (
            (
                "Réclamation sur un dossier",
                "Vous écrivez pour savoir où en est votre demande "
                "de naturalisation déposée il y a huit mois.",
            ),
        ),
    },
    SOUS_PREFECTURE: {
        "visit": (
            (
                "Association à déclarer",
                "Vous voulez déclarer une association de quartier et "
                "demandez comment faire et ce qu’il faut fournir.",
            ),
            (
                "Carte d’identité d’un enfant",
                "Vous demandez comment faire la carte d’identité "
                "de votre fils de 12 ans et s’il doit venir.",
            ),
        ),
        "phone": (
            (
                "Débit de boissons",
                "Vous appelez pour savoir quelle autorisation demander pour "
                "tenir une buvette lors de la fête du village.",
            ),
            (
                "Rendez-vous passeport",
                "Vous demandez où faire un passeport rapidement, les "
                "mairies proches n’ayant pas de rendez-vous avant deux mois.",
            ),
        ),
        "email": (
            (
                "Vide-grenier",
                "Vous écrivez pour savoir s’il faut une autorisation pour "
                "organiser un vide-grenier sur la place du village.",
            ),
        ),
        "letter": (
            (
                "Attestation de dépôt",
                "Vous demandez par courrier une attestation de dépôt de "
                "votre demande de titre, exigée par votre employeur.",
            ),
        ),
    },
    SIP: {
        "visit": (
            (
                "Première déclaration",
                "Vous venez de commencer à travailler et demandez de "
                "l’aide pour votre première déclaration de revenus.",
            ),
            (
                "Prélèvement à la source",
                "Vos revenus ont baissé : vous demandez comment "
                "modifier votre taux de prélèvement à la source.",
            ),
            (
                "Taxe d’habitation",
                "Vous avez reçu un avis de taxe d’habitation pour une "
                "résidence secondaire que vous avez vendue : vous demandez quoi faire.",
            ),
        ),
        "phone": (
            (
                "Pension alimentaire",
                "Vous appelez pour savoir comment déclarer une pension "
                "alimentaire versée à votre enfant étudiant.",
            ),
            (
                "Échéancier de paiement",
                "Vous ne pouvez pas payer votre solde d’impôt en une "
                "fois : vous demandez un étalement.",
            ),
        ),
        "email": (
            (
                "Crédit d’impôt emploi à domicile",
                "Vous demandez si les heures de ménage "
                "payées en chèque emploi service ouvrent droit au crédit d’impôt.",
            ),
            (
                "Changement de situation",
                "Vous vous êtes pacsé(e) en cours d’année : vous "
                "demandez comment déclarer vos revenus cette année.",
            ),
        ),
        "letter": (
            (
                "Réclamation sur un avis",
                "Vous contestez par courrier une majoration de 10 % "
                "pour un paiement que vous pensez avoir fait à temps.",
            ),
        ),
    },
    TRIBUNAL: {
        "visit": (
            (
                "Convocation à une audience",
                "Vous avez reçu une convocation à une audience "
                "comme témoin et demandez où aller et comment vous faire excuser.",
            ),
            (
                "Petit litige",
                "Votre ancien propriétaire ne vous rend pas votre dépôt de "
                "garantie : vous demandez comment saisir le tribunal.",
            ),
        ),
        "phone": (
            (
                "Casier judiciaire",
                "Vous appelez pour savoir comment obtenir un extrait de "
                "casier judiciaire demandé par un employeur.",
            ),
            (
                "Aide juridictionnelle",
                "Vous demandez si vous pouvez avoir droit à l’aide "
                "juridictionnelle et comment la demander.",
            ),
        ),
        "email": (
            (
                "Date d’audience",
                "Vous écrivez pour connaître la date de l’audience de votre "
                "affaire prud’homale renvoyée.",
            ),
        ),
        "letter": (
            (
                "Copie de jugement",
                "Vous demandez par courrier une copie du jugement de votre "
                "divorce prononcé il y a dix ans.",
            ),
        ),
    },
    EDUCATION: {
        "visit": (
            (
                "Inscription en cours d’année",
                "Vous arrivez dans le département et demandez "
                "comment inscrire votre fille au collège en cours d’année.",
            ),
            (
                "Instruction en famille",
                "Vous demandez comment déclarer l’instruction en famille de votre enfant.",
            ),
        ),
        "phone": (
            (
                "Dérogation de secteur",
                "Vous appelez pour savoir comment demander une "
                "dérogation de secteur pour l’entrée en sixième.",
            ),
            (
                "Bourse de lycée",
                "Vous demandez jusqu’à quand déposer une demande de bourse de lycée.",
            ),
        ),
        "email": (
            (
                "Équivalence de diplôme",
                "Vous demandez comment faire reconnaître un diplôme "
                "obtenu à l’étranger pour une inscription en lycée.",
            ),
        ),
        "letter": (
            (
                "Relevé de notes du baccalauréat",
                "Vous demandez par courrier un duplicata de "
                "votre relevé de notes du baccalauréat obtenu en 2005.",
            ),
        ),
    },
    BU: {
        "visit": (
            (
                "Carte de lecteur extérieur",
                "Vous n’êtes pas étudiant(e) et demandez comment "
                "obtenir une carte de lecteur et à quel prix.",
            ),
            (
                "Salle de travail",
                "Vous demandez comment réserver une salle de travail en "
                "groupe et si elle est accessible en fauteuil.",
            ),
        ),
        "phone": (
            (
                "Prêt entre bibliothèques",
                "Vous appelez pour savoir comment faire venir un "
                "ouvrage d’une autre bibliothèque universitaire.",
            ),
            (
                "Horaires d’été",
                "Vous demandez les horaires de la bibliothèque pendant les vacances d’été.",
            ),
        ),
        "email": (
            (
                "Accès aux thèses",
                "Vous demandez comment consulter une thèse soutenue dans "
                "l’université il y a quinze ans.",
            ),
        ),
        "letter": (
            (
                "Don d’ouvrages",
                "Vous proposez par courrier de donner une collection de revues "
                "scientifiques et demandez la démarche.",
            ),
        ),
    },
    FRANCE_SERVICES: {
        "visit": (
            (
                "Retraite",
                "Vous demandez de l’aide pour créer votre compte retraite en ligne et "
                "demander votre relevé de carrière.",
            ),
            (
                "Prime d’activité",
                "Vous demandez si vous pouvez toucher la prime d’activité et "
                "de l’aide pour faire la demande.",
            ),
            (
                "Permis de conduire en ligne",
                "Vous demandez de l’aide pour renouveler votre "
                "permis de conduire sur le site de l’ANTS.",
            ),
        ),
        "phone": (
            (
                "Rendez-vous CAF",
                "Vous appelez pour savoir si l’on peut vous aider à joindre "
                "la CAF pour un trop-perçu.",
            ),
            (
                "Chèque énergie",
                "Vous demandez comment utiliser un chèque énergie reçu par courrier.",
            ),
        ),
        "email": (
            (
                "Complémentaire santé solidaire",
                "Vous demandez les pièces pour une demande de complémentaire santé solidaire.",
            ),
        ),
        "letter": (
            (
                "Aide aux démarches",
                "Vous écrivez pour savoir si quelqu’un peut vous aider à "
                "remplir une déclaration de revenus à domicile, ne pouvant vous déplacer.",
            ),
        ),
    },
}


def demo_scenarios() -> list[dict[str, str]]:
    """Every scenario as ``{network, channel, title, text}``, the website check included."""
    rows = []
    for network, channels in _LIBRARY.items():
        for channel, entries in {**channels, "website": (_WEBSITE,)}.items():
            for title, text in entries:
                rows.append({"network": network, "channel": channel, "title": title, "text": text})
    return rows
