"""``boroughkit geography``: build a geography bundle from ONS files, or describe one."""

from __future__ import annotations

import re
from pathlib import Path

import click

from boroughkit.cli._errors import translate_errors
from boroughkit.cli._progress import progress_display
from boroughkit.errors import ConfigError

# A CRS declared after the last "@" of a file path, e.g. wards.shp@EPSG:27700.
_CRS_SUFFIX = re.compile(r"^(?P<path>.+)@(?P<crs>[A-Za-z]+:[\w.]+)$")


def split_crs(text: str) -> tuple[Path, str | None]:
    """``FILE@EPSG:27700`` -> (FILE, "EPSG:27700"); a plain FILE -> (FILE, None)."""
    match = _CRS_SUFFIX.match(text)
    if match is None:
        return Path(text), None
    return Path(match.group("path")), match.group("crs")


def split_pair(text: str, option: str, shape: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> (KEY, VALUE); a ConfigError shows the expected ``shape`` otherwise."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip() or not value.strip():
        raise ConfigError(
            f"{option} {text!r} is not of the form {shape}", fix=f"write {option} {shape}"
        )
    return key.strip(), value.strip()


@click.group()
def geography() -> None:
    """Geography bundles: OA lookups, boundaries and postcodes of one borough or many.

    \b
    Example:
      boroughkit geography info builtin:demo
    """


@geography.command("import")
@click.option(
    "--lookup",
    "lookup",
    required=True,
    type=click.Path(path_type=Path),
    help="OA → LSOA → MSOA → ward → borough lookup (CSV, CSV.gz or Parquet).",
)
@click.option(
    "--boundaries",
    "boundaries",
    multiple=True,
    metavar="LEVEL=FILE[@CRS]",
    help="Boundary file for a level (oa, lsoa, msoa, ward, borough); repeatable. "
    "Append @EPSG:27700 to declare the CRS of a file that has none.",
)
@click.option(
    "--centroids",
    "centroids",
    default=None,
    metavar="FILE[@CRS]",
    help="OA population-weighted centroids (points): approximate OA polygons are "
    "derived from them when no OA boundaries are given.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="OURS=THEIRS",
    help="Map a column, e.g. --column population=total_residents or "
    "--column ward_boundary_code=WD23CD; repeatable.",
)
@click.option(
    "--borough",
    "boroughs",
    multiple=True,
    metavar="CODE",
    help="Keep only this borough (local authority district) of a multi-borough lookup; "
    "repeatable. Without it every borough of the lookup is kept.",
)
@click.option(
    "--lad",
    "lads",
    multiple=True,
    metavar="CODE",
    help="The same as --borough.",
)
@click.option(
    "--lookup-fix",
    "lookup_fix",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of corrections (oa_code,column,value, e.g. E00019599,ward_code,E05013780) "
    "applied to the lookup before the rules below.",
)
@click.option(
    "--on-ward-gap",
    "on_ward_gap",
    type=click.Choice(["assign", "refuse"]),
    default="assign",
    show_default=True,
    help="An OA without a ward: assign the ward of most other OAs of its LSOA (else MSOA), "
    "or refuse the lookup.",
)
@click.option(
    "--on-ward-across-lad",
    "on_ward_across_lad",
    type=click.Choice(["split", "refuse"]),
    default="split",
    show_default=True,
    help="A ward in two boroughs: split it into one ward per borough (<ward>-<borough>), "
    "or refuse the lookup.",
)
@click.option(
    "--regions",
    "regions",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of lad_code,region_code,region_name for boroughs whose lookup rows name no "
    "region (London and Welsh boroughs need none).",
)
@click.option("--name", "name", default=None, help="Name of the bundle (default: the borough's).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the bundle to (replaced if it already holds a bundle).",
)
@click.pass_context
@translate_errors
def import_command(
    context: click.Context,
    lookup: Path,
    boundaries: tuple[str, ...],
    centroids: str | None,
    columns: tuple[str, ...],
    boroughs: tuple[str, ...],
    lads: tuple[str, ...],
    lookup_fix: Path | None,
    on_ward_gap: str,
    on_ward_across_lad: str,
    regions: Path | None,
    name: str | None,
    out: Path,
) -> None:
    """Build a geography bundle from ONS lookup and boundary files.

    \b
    Example (ONS files downloaded for one borough):
      boroughkit geography import --lookup oa21_lookup.csv \\
          --boundaries ward=wards.geojson --boundaries lsoa=lsoa.gpkg \\
          --centroids oa_centroids.geojson --out my-borough
      boroughkit demo residents --geography my-borough --n 50000 --out residents.parquet

    \b
    Example (every borough of England and Wales, or the 33 of London):
      boroughkit geography import --lookup oa21_lookup_ew.csv.gz --out england-wales
      boroughkit geography import --lookup oa21_lookup_ew.csv.gz \
          --borough E09000001 --borough E09000002 … --borough E09000033 --out london
    """
    from boroughkit.geography import import_bundle
    from boroughkit.geography.lookup_reader import LookupRules

    files: dict[str, Path] = {}
    declared: dict[str, str] = {}
    for item in boundaries:
        level, target = split_pair(item, "--boundaries", "LEVEL=FILE[@CRS]")
        if level in files:
            raise ConfigError(
                f"--boundaries given twice for {level!r}", fix="give one file per level"
            )
        files[level], crs = split_crs(target)
        if crs is not None:
            declared[level] = crs
    column_map = dict(split_pair(item, "--column", "OURS=THEIRS") for item in columns)
    centroid_path, centroid_crs = split_crs(centroids) if centroids else (None, None)
    with progress_display(context) as progress:
        if progress is not None:
            progress(f"import the geography bundle into {out}")
        report = import_bundle(
            lookup,
            out,
            boundaries=files,
            centroids=centroid_path,
            column_map=column_map,
            name=name,
            boundary_crs=declared,
            centroids_crs=centroid_crs,
            boroughs=list(dict.fromkeys((*boroughs, *lads))) or None,
            rules=LookupRules(
                fixes=lookup_fix,
                on_ward_gap="refuse" if on_ward_gap == "refuse" else "assign",
                on_ward_across_lad="refuse" if on_ward_across_lad == "refuse" else "split",
                regions=regions,
            ),
        )
    click.echo(report.summary())


@geography.command("info")
@click.argument("bundle", default="builtin:demo")
@translate_errors
def info_command(bundle: str) -> None:
    """Describe a geography BUNDLE (a folder, or builtin:demo).

    \b
    Example:
      boroughkit geography info builtin:demo
    """
    from boroughkit.geography import open_bundle

    click.echo(open_bundle(bundle, base_dir=Path.cwd()).describe())
