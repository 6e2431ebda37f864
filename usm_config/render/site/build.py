"""Write the catalogue: a static HTML site of a blueprint, in the blueprint's language.

:func:`build_site` renders every page from the Jinja templates in
``usm_config/render/templates/site`` into a directory: an overview with the process model,
a page per workflow (its diagram, step sequence, clocks and tailored steps), a page per
service, teams, customers, schedules, classification, where each element lands in each
installed adapter, and the blueprint's own files with numbered lines that every page links.
The pages need no JavaScript and link each other relatively, so the site works from
``file://`` and from any web server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from usm_config.adapter import Adapter
from usm_config.blueprint.loader import LoadResult
from usm_config.blueprint.model import Blueprint, Matrix, Service, Workflow
from usm_config.blueprint.usm import CALL_TYPE_NAMES, PROCESSES, CallType, ProcessId
from usm_config.compile import walk
from usm_config.compile.article import workflow_article
from usm_config.compile.memo import forget_builds
from usm_config.compile.wording import Named, named
from usm_config.render.diagram import layout_flow, render_svg, workflow_flow
from usm_config.render.diagram.process_model import hand_overs, render_process_model
from usm_config.render.diagram.svg import PROCESS_COLOURS
from usm_config.render.jinja import template_environment
from usm_config.render.site.folder import SVG_MARK, write_site
from usm_config.render.site.labels import labels
from usm_config.render.site.landing import adapter_landing
from usm_config.render.site.sources import SourceRef, Sources

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _environment() -> Environment:
    return template_environment("usm_config.render", autoescape=select_autoescape(["j2"]))


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation bar."""

    href: str
    label: str
    current: bool


@dataclass(frozen=True)
class MatrixTable:
    """A classification matrix ready to print: ``cells`` hold (level name, rank) per row."""

    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    levels: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class WeekRow:
    """One weekday of a schedule: per hour 'open', 'part' or '' and the spans as text."""

    day: str
    hours: tuple[str, ...]
    spans: str


def workflow_page(wf: Workflow) -> str:
    """File name of the page of workflow ``wf``."""
    return f"workflow-{wf.number}.html"


def service_page(service: Service) -> str:
    """File name of the page of ``service``."""
    return f"service-{service.id}.html"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _matrix(bp: Blueprint, matrix: Matrix, corner: str) -> MatrixTable:
    ranks = {level.id: (named(bp, level), level.rank) for level in matrix.levels}
    return MatrixTable(
        corner=corner,
        columns=tuple(named(bp, c) for c in matrix.columns),
        rows=tuple(
            (
                named(bp, row),
                tuple(
                    ranks.get(matrix.matrix.get(row.id, {}).get(col.id, ""), ("", 0))
                    for col in matrix.columns
                ),
            )
            for row in matrix.rows
        ),
        levels=tuple((named(bp, level), level.rank) for level in matrix.levels),
    )


class SiteBuilder:
    """Renders the pages of one blueprint; :meth:`pages` yields (file name, content)."""

    def __init__(self, result: LoadResult, shown: str, adapters: Iterable[Adapter]) -> None:
        if result.blueprint is None:
            raise ValueError("the blueprint did not load")
        self.bp: Blueprint = result.blueprint
        self.shown = shown
        self.adapters = tuple(adapters)
        self.locale = self.bp.organisation.locale
        self.L = labels(self.locale)
        self.sources = Sources(result.files, result.index)
        self.env = _environment()
        bp = self.bp
        processes = {p.id: p for p in bp.processes}
        self.process_names = {
            pid.value: (
                ((processes[pid].name_nl if pid in processes else None) or PROCESSES[pid].name_nl)
                if self.locale == "nl"
                else (processes[pid].name if pid in processes else PROCESSES[pid].name)
            )
            for pid in ProcessId
        }
        self.call_type_names = {
            ct: (
                (defined.name_nl if defined else None) or CALL_TYPE_NAMES[ct][1]
                if self.locale == "nl"
                else (defined.name if defined else CALL_TYPE_NAMES[ct][0])
            )
            for ct, defined in (
                (ct, next((d for d in bp.call_types if d.id == ct), None)) for ct in CALL_TYPE_NAMES
            )
        }
        self.priority_names = walk.Lookups.of(bp).priority_names
        self.category_names: dict[CallType, dict[str, str]] = {}
        for visit in walk.categories(bp):
            self.category_names.setdefault(visit.call_type, {})[visit.category.id] = visit.name

    # -- helpers the templates call -------------------------------------------------------

    def named(self, element: Named) -> str:
        """The name of a library element (a category, a level) in the blueprint's locale."""
        return named(self.bp, element)

    def src(self, *path: str | int) -> SourceRef | None:
        """Where the element at ``path`` is written."""
        return self.sources.ref(tuple(path))

    def name_of(self, collection: str, ident: str | None) -> str:
        """The display name of an element of ``collection`` (its id when unknown)."""
        if ident is None:
            return ""
        items = getattr(self.bp, collection)
        return next((item.name for item in items if item.id == ident), ident)

    def workflow_name(self, wf: Workflow) -> str:
        return named(self.bp, wf)

    def _common(self, page: str, title: str, source: SourceRef | None) -> dict[str, Any]:
        entries = [
            ("index.html", self.L["overview"]),
            ("services.html", self.L["services"]),
            ("teams.html", self.L["teams"]),
            ("customers.html", self.L["customers"]),
            ("schedules.html", self.L["schedules"]),
            ("classification.html", self.L["classification"]),
            ("landing.html", self.L["landing"]),
            ("sources.html", self.L["sources"]),
        ]
        return {
            "L": self.L,
            "bp": self.bp,
            "org": self.bp.organisation,
            "locale": self.locale,
            "title": title,
            "page_source": source,
            "nav": [NavItem(href, label, href == page) for href, label in entries],
            "shown": self.shown,
            "site": self,
        }

    def _render(
        self, template: str, page: str, title: str, source: SourceRef | None, **context: Any
    ) -> str:
        return self.env.get_template(f"site/{template}").render(
            **self._common(page, title, source), **context
        )

    # -- pages ---------------------------------------------------------------------------

    def pages(self) -> Iterable[tuple[str, str]]:
        """Every file of the site as (file name, text)."""
        yield (
            "style.css",
            self.env.get_template("site/style.css.j2").render(colours=PROCESS_COLOURS),
        )
        yield "index.html", self.index()
        for number, wf in enumerate(self.bp.workflows):
            yield from self.workflow(number, wf)
        yield (
            "services.html",
            self._render(
                "services.html.j2", "services.html", self.L["services"], self.src("services")
            ),
        )
        for number, service in enumerate(self.bp.services):
            yield service_page(service), self.service(number, service)
        yield (
            "teams.html",
            self._render("teams.html.j2", "teams.html", self.L["teams"], self.src("teams")),
        )
        yield (
            "customers.html",
            self._render(
                "customers.html.j2", "customers.html", self.L["customers"], self.src("customers")
            ),
        )
        yield "schedules.html", self.schedules()
        yield "classification.html", self.classification()
        landings = [adapter_landing(adapter, self.bp) for adapter in self.adapters]
        # The pages only count the records; at 5,000 services ServiceNow's are 50,000, which
        # the build steps would keep until the site is written.
        forget_builds()
        yield (
            "landing.html",
            self._render(
                "landing.html.j2",
                "landing.html",
                self.L["landing"],
                self.src(),
                landings=landings,
                element=self.element,
            ),
        )
        yield (
            "sources.html",
            self._render("sources.html.j2", "sources.html", self.L["sources"], self.src()),
        )
        for file in self.sources.files:
            text = file.path.read_text(encoding="utf-8-sig")
            yield (
                file.page,
                self._render(
                    "source.html.j2", file.page, file.shown, None, lines=text.splitlines()
                ),
            )

    def index(self) -> str:
        paths = [(wf.number, [p.value for p in wf.path]) for wf in self.bp.workflows]
        by_number = {wf.number: wf for wf in self.bp.workflows}
        figure = render_process_model(
            self.process_names,
            hand_overs(paths),
            lambda number: workflow_page(by_number[number]),
            self.L["process_model"],
        )
        return self._render(
            "index.html.j2",
            "index.html",
            self.bp.organisation.name,
            self.src("organisation"),
            figure=Markup(figure),
        )

    def workflow(self, number: int, wf: Workflow) -> Iterable[tuple[str, str]]:
        flow = workflow_flow(self.bp, wf, self.locale)
        layout = layout_flow(flow)
        svg_name = f"workflow-{wf.number}.svg"
        yield svg_name, SVG_MARK + render_svg(layout, ident=f"wf{wf.number}")
        yield (
            workflow_page(wf),
            self._render(
                "workflow.html.j2",
                workflow_page(wf),
                flow.title,
                self.src("workflows", number),
                wf=wf,
                index=number,
                article=workflow_article(self.bp, wf, self.locale),
                diagram=Markup(render_svg(layout, "#step-{position}", f"wf{wf.number}")),
                svg_name=svg_name,
            ),
        )

    def service(self, number: int, service: Service) -> str:
        return self._render(
            "service.html.j2",
            service_page(service),
            service.name,
            self.src("services", number),
            service=service,
            index=number,
        )

    def week(self, spans: Iterable[Any]) -> tuple[WeekRow, ...]:
        """A schedule's spans as a grid of weekdays × hours."""
        spans = tuple(spans)
        rows = []
        for day in WEEKDAYS:
            today = [(_minutes(s.start), _minutes(s.end)) for s in spans if day in s.days]
            hours = []
            for hour in range(24):
                start, end = hour * 60, hour * 60 + 60
                covered = sum(max(0, min(end, b) - max(start, a)) for a, b in today)
                hours.append("open" if covered >= 60 else "part" if covered else "")
            text = ", ".join(f"{s.start}–{s.end}" for s in spans if day in s.days)
            rows.append(WeekRow(self.L[f"weekday_{day}"], tuple(hours), text))
        return tuple(rows)

    def schedules(self) -> str:
        return self._render(
            "schedules.html.j2", "schedules.html", self.L["schedules"], self.src("schedules")
        )

    def classification(self) -> str:
        bp = self.bp
        cls = bp.classification
        tables = (
            [
                (
                    self.L["priority_matrix"],
                    _matrix(bp, cls.priority, f"{self.L['impact']} \\ {self.L['urgency']}"),
                    self.src("classification", "priority"),
                ),
                (
                    self.L["risk_matrix"],
                    _matrix(bp, cls.risk, f"{self.L['effect']} \\ {self.L['likelihood']}"),
                    self.src("classification", "risk"),
                ),
            ]
            if cls
            else []
        )
        return self._render(
            "classification.html.j2",
            "classification.html",
            self.L["classification"],
            self.src("classification"),
            tables=tables,
        )

    def element(self, path: tuple[str | int, ...]) -> tuple[str, str]:
        """A landing row's element as (text, link to its page or '')."""
        if not path:
            return "–", ""
        top = str(path[0])
        if len(path) > 1 and isinstance(path[1], int):
            items = getattr(self.bp, top, ())
            if path[1] < len(items):
                item = items[path[1]]
                name = getattr(item, "name", None) or str(getattr(item, "id", path[1]))
                if top == "services":
                    return name, service_page(item)
                if top == "workflows":
                    return f"{item.number}. {self.workflow_name(item)}", workflow_page(item)
                if top == "processes":
                    return self.process_names.get(item.id.value, name), ""
                pages = {
                    "teams": "teams.html",
                    "customers": "customers.html",
                    "profiles": "teams.html",
                    "schedules": "schedules.html",
                }
                return name, pages.get(top, "")
        labels = {
            "organisation": self.L["organisation"],
            "classification": self.L["classification"],
        }
        text = " · ".join(labels.get(str(p), str(p)) for p in path)
        return text, "classification.html" if top == "classification" else ""


def build_site(result: LoadResult, shown: str, out: Path, adapters: Iterable[Adapter]) -> list[str]:
    """Write the site of ``result``'s blueprint into ``out``; return the file names written.

    ``shown`` is how the blueprint's path reads on the pages.
    """
    return write_site(SiteBuilder(result, shown, adapters).pages(), out)
