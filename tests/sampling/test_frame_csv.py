"""Reading CSV frame files (DESIGN.md §3.3)."""

from __future__ import annotations

import pytest

from sampling.frame import FrameFormatError, FrameTooLargeError, read_frame

HEADER = "site_id;nom;reseau;region"


def read(text: str, encoding: str = "utf-8", filename: str = "base.csv"):  # type: ignore[no-untyped-def]
    return read_frame(text.encode(encoding), filename)


def test_reads_sites_with_french_headers_and_optional_fields() -> None:
    result = read(
        "Code site;Nom;Réseau;Région;Département;Commune;Code postal;Adresse;Latitude;"
        "Longitude;Fréquentation;Courriel;Téléphone\n"
        "S1;Préfecture du Nord;Préfecture;Hauts-de-France;59;Lille;59000;12 rue X;50,63;3,06;"
        "12 500;accueil@nord.gouv.fr;03 20 00 00 00\n"
    )
    (site,) = result.sites
    assert (site.line, site.site_id, site.name, site.network, site.region) == (
        2,
        "S1",
        "Préfecture du Nord",
        "Préfecture",
        "Hauts-de-France",
    )
    assert (site.department, site.city, site.postcode, site.address) == (
        "59",
        "Lille",
        "59000",
        "12 rue X",
    )
    assert (site.latitude, site.longitude, site.size) == (50.63, 3.06, 12500.0)
    assert (site.email, site.phone) == ("accueil@nord.gouv.fr", "03 20 00 00 00")


@pytest.mark.parametrize(
    ("title", "field"),
    [
        (" Code_Site ", "site_id"),
        ("SITE ID", "site_id"),
        ("code-site", "site_id"),
        ("NOM", "name"),
        ("Name", "name"),
        ("RÉSEAU", "network"),
        ("Network", "network"),
        ("Région", "region"),
    ],
)
def test_matches_headers_without_case_accents_or_spacing(title: str, field: str) -> None:
    titles = {"site_id": "site_id", "name": "nom", "network": "reseau", "region": "region"}
    titles[field] = title
    result = read(";".join(titles.values()) + "\nS1;N;R;G\n")
    site = result.sites[0]
    assert (site.site_id, site.name, site.network, site.region) == ("S1", "N", "R", "G")


def test_keeps_unknown_columns_as_extra() -> None:
    result = read(HEADER + ";Horaires;Chef de service\nS1;N;R;G;9h-17h; Mme X \n")
    assert result.sites[0].extra == {"Horaires": "9h-17h", "Chef de service": " Mme X "}
    assert result.columns == ["site_id", "nom", "reseau", "region", "Horaires", "Chef de service"]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("nom;reseau;region", "site_id"),
        ("site_id;reseau;region", "nom (ou name)"),
        ("site_id;nom;region", "reseau (ou network)"),
        ("site_id;nom;reseau", "region"),
        (
            "identifiant;libelle",
            "code_site (ou site_id), nom (ou name), reseau (ou network), region",
        ),
    ],
)
def test_refuses_file_without_required_columns_naming_them(header: str, missing: str) -> None:
    with pytest.raises(FrameFormatError, match="Colonnes obligatoires absentes") as error:
        read(header + "\nx;y;z\n")
    assert missing in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"site_id;nom;reseau;region\r\n", "que l'en-tête"),
        (b"site_id;nom;reseau;region\n\n;;;\n", "que l'en-tête"),
        (b"\n\n  \n", "aucune ligne"),
        (b"site_id;nom;nom;reseau;region\nS1;a;b;c;d\n", "deux fois"),
        (b"site_id;name;nom;reseau;region\nS1;a;b;c;d\n", "même champ"),
        (b"site_id;;nom;reseau;region\nS1;a;b;c;d\n", "n'a pas de nom"),
        (b'site_id;nom;reseau;region\nS1;"x\xc3\x28\n'.replace(b";", b"\x00" * 3), "UTF-16"),
        (bytes(range(256)) * 40, "encodage reconnu"),
        (b"\xef\xbb\xbfsite_id;nom\xff", "UTF-8-SIG"),
    ],
)
def test_refuses_broken_files_with_a_french_message(content: bytes, message: str) -> None:
    with pytest.raises(FrameFormatError, match=message):
        read_frame(content, "base.csv")


def test_refuses_file_over_the_size_limit_before_parsing() -> None:
    with pytest.raises(FrameTooLargeError, match="limite"):
        read_frame(b"\x00\xff" * 600, "base.xlsx", max_bytes=1000)


@pytest.mark.parametrize(
    ("encoding", "text", "expected"),
    [
        ("utf-8", "Préfecture d’Île-de-France œuvre", "utf-8"),
        ("utf-8-sig", "Préfecture d’Île-de-France œuvre", "utf-8-sig"),
        ("cp1252", "Préfecture d’Île-de-France œuvre", "cp1252"),
        ("latin-1", "Sous-préfecture de Sélestat", "cp1252"),
        ("utf-16", "Préfecture d’Île-de-France œuvre", "utf-16"),
    ],
)
def test_detects_encoding_and_keeps_text_exactly(encoding: str, text: str, expected: str) -> None:
    result = read(f"{HEADER}\nS1;{text};Préfecture;Grand Est\n", encoding)
    assert result.encoding == expected
    assert result.sites[0].name == text


def test_reads_latin1_when_windows_1252_cannot_decode() -> None:
    data = (HEADER + "\nS1;Sélestat\x90;P;G\n").encode("latin-1")
    result = read_frame(data, "base.csv")
    assert (result.encoding, result.sites[0].name) == ("latin-1", "Sélestat\x90")


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_detects_the_separator(delimiter: str) -> None:
    rows = [["site_id", "nom", "reseau", "region", "latitude"], ["S1", "N", "R", "G", "48.5"]]
    result = read("\n".join(delimiter.join(row) for row in rows) + "\n")
    assert result.delimiter == delimiter
    assert result.sites[0].latitude == 48.5


def test_semicolon_file_with_decimal_commas_in_every_row_is_not_taken_for_commas() -> None:
    lines = [HEADER + ";latitude;longitude"]
    lines += [f"S{i};Site {i};R;G;48,{i}5;2,{i}1" for i in range(30)]
    result = read("\n".join(lines))
    assert result.delimiter == ";"
    assert result.sites[3].latitude == 48.35
    assert result.sites[3].longitude == 2.31


def test_reads_quoted_separators_doubled_quotes_and_line_breaks() -> None:
    result = read(HEADER + ';adresse\r\nS1;"Préfecture; ""annexe""";R;G;"1 rue A\r\nBP 12"\r\n')
    site = result.sites[0]
    assert site.name == 'Préfecture; "annexe"'
    assert site.address == "1 rue A\r\nBP 12"


def test_counts_physical_lines_across_quoted_line_breaks_and_blank_lines() -> None:
    text = (
        HEADER + ';adresse\nS1;A;R;G;"ligne 1\nligne 2\nligne 3"\n\n;;;;\nS2;B;R;G;x\n   ;C;R;G;x\n'
    )
    result = read(text)
    assert [site.line for site in result.sites] == [2, 7]
    assert [(r.line, r.reason) for r in result.rejected] == [
        (8, "Identifiant du site (site_id) vide.")
    ]


def test_reports_the_line_where_a_multi_line_record_starts() -> None:
    result = read(HEADER + ';latitude\nS1;"A\nB";R;G;100\n')
    assert result.rejected[0].line == 2


def test_handles_crlf_bom_and_trailing_separators() -> None:
    data = b"\xef\xbb\xbfsite_id;nom;reseau;region;\r\nS1;A;R;G;\r\nS2;B;R;G;;\r\n"
    result = read_frame(data, "base.csv")
    assert [s.site_id for s in result.sites] == ["S1", "S2"]
    assert result.columns == ["site_id", "nom", "reseau", "region"]


def test_keeps_a_leading_equals_sign_verbatim() -> None:
    result = read(HEADER + ';lien\nS1;=HYPERLINK("x");R;G;"=1+1"\n')
    assert result.sites[0].name == '=HYPERLINK("x")'
    assert result.sites[0].extra == {"lien": "=1+1"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("  ;A;R;G;;;", "Identifiant du site (site_id) vide."),
        ("S9;A;R;G;;", "Nombre de champs incorrect : 6 au lieu de 7"),
        ("S9;A;R;G;;;;x", "Nombre de champs incorrect : 8 au lieu de 7"),
        ("S9;A;R;G;90,5;;", "Latitude hors de l'intervalle [-90, 90] : 90,5."),
        ("S9;A;R;G;-91;;", "Latitude hors de l'intervalle"),
        ("S9;A;R;G;;180.01;", "Longitude hors de l'intervalle [-180, 180]"),
        ("S9;A;R;G;nord;;", "Latitude invalide : « nord » n'est pas un nombre."),
        ("S9;A;R;G;;nan;", "Longitude invalide : « nan »"),
        ("S9;A;R;G;;1,2,3;", "Longitude invalide"),
        ("S9;A;R;G;;;-1", "Taille (fréquentation) invalide : « -1 »"),
        ("S9;A;R;G;;;beaucoup", "Taille (fréquentation) invalide"),
        ("S9;A\x00;R;G;;;", "caractère nul"),
    ],
)
def test_rejects_bad_rows_with_line_and_french_reason(row: str, reason: str) -> None:
    result = read(HEADER + ";latitude;longitude;fréquentation\nS1;A;R;G;;;\n" + row + "\n")
    assert len(result.sites) == 1
    assert result.rejected[0].line == 3
    assert reason in result.rejected[0].reason


@pytest.mark.parametrize(
    ("latitude", "longitude", "size", "expected"),
    [
        ("48,8566", "2.3522", "", (48.8566, 2.3522, None)),
        ("-90", "180", "0", (-90.0, 180.0, 0.0)),
        (" 45.5 ", "-1,5", "1\u00a0234,5", (45.5, -1.5, 1234.5)),
        ("", "", "12 500", (None, None, 12500.0)),
    ],
)
def test_reads_decimal_comma_or_point(
    latitude: str, longitude: str, size: str, expected: tuple[float | None, ...]
) -> None:
    result = read(f"{HEADER};latitude;longitude;size\nS1;A;R;G;{latitude};{longitude};{size}\n")
    site = result.sites[0]
    assert (site.latitude, site.longitude, site.size) == expected


def test_rejects_a_repeated_site_id_naming_the_earlier_line() -> None:
    result = read(HEADER + "\nS1;A;R;G\nS2;B;R;G\n S1 ;C;R;G\n")
    assert [s.site_id for s in result.sites] == ["S1", "S2"]
    assert result.rejected[0].line == 4
    assert result.rejected[0].reason == "Identifiant « S1 » déjà présent ligne 2."


def test_trims_network_and_region_but_keeps_their_spelling() -> None:
    result = read(HEADER + "\nS1;A; Tribunal judiciaire ; Île-de-France \n")
    assert (result.sites[0].network, result.sites[0].region) == (
        "Tribunal judiciaire",
        "Île-de-France",
    )


def test_refuses_a_text_file_named_xlsx() -> None:
    with pytest.raises(FrameFormatError, match=r"porte l'extension \.xlsx"):
        read(HEADER + "\nS1;A;R;G\n", filename="base.xlsx")
