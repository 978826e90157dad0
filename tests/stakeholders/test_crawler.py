"""A crawler over every page and API route: no hostile input gets a server error, and vendor A's
viewer never receives vendor B's data or the centre's own (plan, budget).

Routes come from the URL resolver (pages and API alike), query-parameter names from the OpenAPI
schema, every form of the project and every place a view reads the query string, so a new page,
endpoint or parameter is crawled without touching this file. Each route is requested as
anonymous, vendor A's viewer, an analyst and a manager, with ids that exist (``1``: the first
object of every kind), vendor B's ids, negative, huge and non-numeric ids, and every parameter
set at once to garbage, far-future and far-past dates, negative and huge numbers and choices
that do not exist.
"""
import contextlib
import re
from pathlib import Path

import pytest
from django import forms
from django.http import HttpResponse, QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.datastructures import MultiValueDict

from .conftest import CENTRE_ONLY, SECRET

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
APPS = ("contactmis", "pathways", "measurements", "reports", "stakeholders")
SKIP_PREFIXES = ("admin/", "accounts/logout/")
HUGE = "99999999999999999999"
NEVER_EXISTS = "987654"
# Every parameter at once set to each of these …
HOSTILE_VALUES = ("no_such_choice", "9999-12-31", HUGE)
# … and every parameter the view read, on its own, to each value of its kind: every kind for a
# parameter a view reads by hand (its type unknown), fewer where a form or the schema types it
# (a date field is not asked for "1e308": it is one more piece of garbage to a date).
GARBAGE = "abc"
DATES = ("9999-12-31", "0001-01-01", "9999-12-31T23:45")
NUMBERS = ("-1", HUGE, "1e308")
VALUES_BY_KIND = {"date": (GARBAGE, *DATES), "number": (GARBAGE, *NUMBERS),
                  "text": (GARBAGE, "-1", HUGE)}
ONE_AT_A_TIME = (*DATES, GARBAGE, *NUMBERS)
PLAIN_ONLY = ("api/schema/", "api/docs/", "api/redoc/")
# One id per object of vendor B the crawl tries on every parameterised route (the full cross
# product of B's ids is tests/stakeholders/test_scope_enforcement.py's).
B_IDS = ("9001", "9101", "9201", "9301", "9399", "9401", "900000")


def _routes(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            full = (prefix + route).replace("^", "").replace("$", "")
            if not full.startswith(SKIP_PREFIXES):
                yield full


def _fill(route, value, fmt="csv"):
    """``route`` with every id set to ``value`` (other string parameters to ``fmt``)."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value if m.group(1) in ("pk", "id")
                  else fmt, route)

    def django_param(m):
        conv, name = m.group(1) or "str", m.group(2)
        return value if conv in ("int", "path") or name in ("pk", "id") else fmt
    path = re.sub(r"<(?:(\w+):)?(\w+)>", django_param, path)
    return "/" + path.replace("\\.", ".")


def _field_kind(field):
    if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField):
        return "date"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField
                  | forms.ModelChoiceField) or (isinstance(field, forms.TypedChoiceField)
                                                and field.coerce in (int, float)):
        return "number"
    if isinstance(field, forms.ChoiceField | forms.BooleanField | forms.CharField):
        return "text"  # a choice, a flag or free text: garbage, a sign, a length
    return None  # anything else: every kind of value


def _form_fields():
    """Field names of every form of the project, each with the kinds it is declared as."""
    kinds, stack = {}, [forms.Form, forms.ModelForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in APPS:
                for name, field in getattr(sub, "base_fields", {}).items():
                    kinds.setdefault(name, set()).add(_field_kind(field))
    return kinds


def _read_in_views():
    """Names every view reads from the query string, found in the source."""
    names = set()
    pattern = re.compile(r"""(?:GET|query_params)(?:\.get(?:list)?\(|\[)\s*["'](\w+)["']|"""
                         r"""(?:page_param|api_param)\(\s*[\w.]+,\s*["'](\w+)["']""")
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            for m in pattern.finditer(path.read_text()):
                names.add(m.group(1) or m.group(2))
    return names


def _schema_params():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    kinds = {}
    for operations in schema["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param.get("in") == "query":
                    spec = param.get("schema", {})
                    # A string the schema gives no format is text to the serializer or filter
                    # (if a view also parses it by hand, it gets every kind below).
                    kind = ("number" if spec.get("type") in ("integer", "number") else "date"
                            if spec.get("format") in ("date", "date-time") else "text"
                            if spec.get("type") in ("string", "boolean") else None)
                    kinds.setdefault(param["name"], set()).add(kind)
    return kinds


def _param_values():
    """Each parameter name with the hostile values it gets on its own."""
    kinds = {}
    for found in (_form_fields(), _schema_params()):
        for name, of_name in found.items():
            kinds.setdefault(name, set()).update(of_name)
    for name in _read_in_views():  # parsed by hand in a view: its type is not known
        kinds.setdefault(name, set()).add(None)
    for name in ("csrfmiddlewaretoken", "password", "password1", "password2"):
        kinds.pop(name, None)
    return {name: ONE_AT_A_TIME if None in of_name else
            tuple(dict.fromkeys(v for kind in sorted(of_name) for v in VALUES_BY_KIND[kind]))
            for name, of_name in sorted(kinds.items())}


@pytest.fixture(scope="module")
def param_values():
    return _param_values()


@pytest.fixture(scope="module")
def param_names(param_values):
    return sorted(param_values)


def _body(response):
    """The answer as bytes; workbooks and PDFs as the text they show (their bytes are
    compressed, so a marker inside them would not be found in the raw body)."""
    import io

    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) \
        else response.content
    kind = response.get("Content-Type", "")
    if body[:4] == b"PK\x03\x04" and "spreadsheet" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for cell in row
                         ).encode()
    if body[:4] == b"%PDF":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in
                         PdfReader(io.BytesIO(body)).pages).encode()
    return body


@pytest.fixture
def crawl_world(centre_plan, two_vendors, centre, manager):
    """Objects of every other kind a route looks up, so id 1 exists for most routes."""
    import datetime as dt

    from measurements.models import Alert, ClosedDay, MeasurementTest, TestRun
    from stakeholders.models import ReportSchedule
    from stakeholders.reporting import schedule_save
    from tests.design_factories import pathway_ivr_queue_agent

    pathway_ivr_queue_agent(centre)
    schedule = schedule_save(ReportSchedule(
        stakeholder=two_vendors["a"], name="Daily", template="daily", cadence="daily",
        time_of_day=dt.time(7), time_zone="Europe/London", formats=["csv"]))
    test = MeasurementTest.objects.create(centre=centre, name="Known answer", kind="known")
    TestRun.objects.create(test=test, status="failed", message="off by one")
    Alert.objects.create(centre=centre, source=two_vendors["source"], code="gap", key="gap",
                         message="2 intervals missing")
    ClosedDay.objects.create(centre=centre, date=dt.date(2026, 12, 25), name="Christmas")
    return {"schedule": schedule}


class Crawl:
    """Requests, with a record of the query-string names each view read."""

    def __init__(self, client, param_names, param_values=None):
        self.client, self.param_names = client, param_names
        self.param_values = param_values or {}
        self.problems, self.statuses, self.read = [], [], set()

    def get(self, path, query=None):
        self.read = set()
        with _recording(self.read):
            response = self.client.get(path, query or {})
        self.statuses.append(response.status_code)
        if response.status_code >= 500:
            self.problems.append(f"GET {path} {_describe(query)} answered "
                                 f"{response.status_code}")
        return response

    def hostile_queries(self):
        for value in HOSTILE_VALUES:
            yield dict.fromkeys(self.param_names, value)

    def each_parameter(self, path, names):
        """Each of ``names`` hostile on its own (the others absent, so no other parameter's
        error hides its own)."""
        for name in sorted(names):
            for value in self.param_values.get(name, ONE_AT_A_TIME):
                self.get(path, {name: value})


def _describe(query):
    if not query:
        return "(no query)"
    values = set(query.values())
    if len(query) > 3 and len(values) == 1:
        return f"(every parameter = {values.pop()!r})"
    return f"({query})"


@contextlib.contextmanager
def _recording(into):
    """Records in ``into`` the query-string names read (``get``/``getlist``) in the block."""
    originals = {name: getattr(MultiValueDict, name) for name in ("get", "getlist")}

    def spy(original):
        def method(self, key, *args, **kwargs):
            if isinstance(self, QueryDict) and isinstance(key, str):
                into.add(key)
            return original(self, key, *args, **kwargs)
        return method
    for name, original in originals.items():
        setattr(MultiValueDict, name, spy(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(MultiValueDict, name, original)


def _crawler(user, param_names, param_values=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return Crawl(client, param_names, param_values)


def test_no_route_answers_a_server_error_to_hostile_input(crawl_world, param_values, analyst,
                                                          manager):
    """Anonymous, analyst and manager in one world (built once: building it is a third of the
    crawl)."""
    routes = list(_routes())
    assert len(routes) > 100
    problems, requests = [], 0
    for persona, user in (("anonymous", None), ("analyst", analyst), ("manager", manager)):
        crawl = _crawler(user, sorted(param_values), param_values)
        for route in routes:
            parameterised = "<" in route or "(?P" in route
            ids = ("",) if not parameterised else ("1", "-1", HUGE, "abc") \
                if persona == "manager" else ("1", "abc")
            for pk in ids:
                path = _fill(route, pk)
                if pk != "1" and parameterised:
                    crawl.get(path)
                    continue
                plain = crawl.get(path).status_code
                # Anonymous users and analysts are turned away or served like managers before
                # any parameter is read: their plain requests suffice.
                if route.startswith(PLAIN_ONLY) or persona != "manager":
                    continue
                read = set()
                for query in crawl.hostile_queries():
                    crawl.get(path, query)
                    read |= crawl.read
                if plain == 200:
                    crawl.each_parameter(path, read)
            if parameterised:
                crawl.get(_fill(route, "1", fmt="exe"))
        problems += [f"{persona}: {problem}" for problem in crawl.problems]
        requests += len(crawl.statuses)
        if persona == "manager":
            assert crawl.statuses.count(200) > 200  # the crawl reached real pages, not 404s
    assert problems == [], "\n".join(problems[:40])
    assert requests > 1500


def _crawl_as_vendor(viewer, param_names, routes=None):
    """Every route (or ``routes``) as vendor A's viewer: the crawl, and what leaked of B or of
    the centre."""
    crawl = _crawler(viewer, param_names)
    leaks = []

    def check(response, what):
        leaks.extend(_leaks(_body(response), what))

    for route in _routes() if routes is None else routes:
        if "<" not in route and "(?P" not in route:
            for query in [{}] if route.startswith(PLAIN_ONLY) else [{}, *crawl.hostile_queries()]:
                check(crawl.get(_fill(route, ""), query), f"GET /{route} {_describe(query)}")
            continue
        for pk in ("1", "-1", HUGE, "abc"):
            for query in ([{}, *crawl.hostile_queries()] if pk == "1" else [{}]):
                check(crawl.get(_fill(route, pk), query),
                      f"GET {_fill(route, pk)} {_describe(query)}")
        if "<str:" in route:  # exports: the workbook too, read cell by cell
            path = _fill(route, "1", fmt="xlsx")
            check(crawl.get(path), f"GET {path}")
        control = crawl.get(_fill(route, NEVER_EXISTS)).status_code
        for b_id in B_IDS:
            path = _fill(route, b_id)
            response = crawl.get(path)
            check(response, f"GET {path}")
            if response.status_code not in (404, control):
                leaks.append(f"GET {path} answered {response.status_code}; a missing id "
                             f"{control}: B's object is not 404")
    return crawl, leaks


def test_vendor_a_gets_no_server_error_and_nothing_of_b_or_of_the_centre(crawl_world,
                                                                         param_names, viewer):
    crawl, leaks = _crawl_as_vendor(viewer, param_names)
    assert crawl.problems == [], "\n".join(crawl.problems[:40])
    assert leaks == [], "\n".join(leaks[:40])
    assert crawl.statuses.count(200) > 20  # A's own pages were reached


def test_the_vendor_crawl_fails_for_a_new_endpoint_that_leaks(crawl_world, viewer, settings):
    """Self-test: a page added without the scope (here through a URL configuration of its own)
    is caught both ways: the centre's plan in its body, and B's object answered instead of 404."""
    settings.ROOT_URLCONF = "tests.stakeholders.leaky_urls"
    crawl, leaks = _crawl_as_vendor(viewer, ["plan"], routes=[
        route for route in _routes() if route.startswith("leaky/")])
    assert crawl.problems == []
    assert "GET /leaky/plan/ (no query) leaked ZZCENTREONLY" in leaks
    assert "GET /leaky/dashboards/9201/ leaked ZZSECRETB" in leaks
    assert any(leak.startswith("GET /leaky/dashboards/9201/ answered 200") for leak in leaks)
    # The same world, crawled through the project's own pages, is clean (the test above).


def _leaks(body: bytes, what: str) -> list[str]:
    """What of vendor B or of the centre's own plan ``body`` names."""
    found = [f"{what} leaked {marker}" for marker in (SECRET, CENTRE_ONLY)
             if marker.lower().encode() in body.lower()]
    if b"4650" in body or b"4,650" in body:
        found.append(f"{what} leaked the centre's budget")
    return found


def _message_parts(message):
    """Subject, text, HTML and every attachment of an e-mail, attachments as the text they
    show (PDF pages, workbook cells; chart images are pictures, not text)."""
    yield "subject", message.subject.encode()
    yield "text", message.body.encode()
    for content, _kind in message.alternatives:
        yield "html", content.encode()
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):  # an inline chart image
            continue
        name, content, kind = attachment
        content = content.encode() if isinstance(content, str) else content
        response = HttpResponse(content, content_type=kind)
        yield name, _body(response)


@pytest.fixture
def vendor_a_reports(crawl_world, two_vendors, centre, mailoutbox):
    """Vendor A's daily and monthly reports, each sent (to the locmem outbox) and previewed
    into the archive, over periods holding the data and the centre's plan and budget."""
    import datetime as dt

    from stakeholders.models import ReportSchedule
    from stakeholders.reporting import preview, schedule_save, send_now

    runs = []
    # The daily report of the fixture's day (Friday 20 November), sent the next morning; the
    # monthly report of November (the month the centre's plan and budget cover), on 1 December.
    for template, sent_at in (("daily", dt.datetime(2026, 11, 21, 8, tzinfo=centre.tz)),
                              ("monthly", dt.datetime(2026, 12, 1, 8, tzinfo=centre.tz))):
        schedule = schedule_save(ReportSchedule(
            stakeholder=two_vendors["a"], name=f"Vendor A {template}", template=template,
            cadence=template, day_of_month=1 if template == "monthly" else None,
            time_of_day=dt.time(7), time_zone="Europe/London", formats=["pdf", "csv", "xlsx"]))
        runs += [send_now(schedule, now=sent_at), preview(schedule, now=sent_at)]
    assert [run.status for run in runs] == ["sent", "preview"] * 2, [r.error for r in runs]
    assert len(mailoutbox) == 2
    return {"runs": runs, "outbox": mailoutbox}


def test_vendor_a_reports_archive_and_e_mails_name_nothing_of_b_or_of_the_centre(
        vendor_a_reports, viewer):
    crawl = _crawler(viewer, [])
    leaks, reached = [], 0
    for run in vendor_a_reports["runs"]:
        for suffix in ("", "report.html", "report.pdf"):
            path = f"/present/reports/{run.pk}/{suffix}"
            response = crawl.get(path)
            reached += response.status_code == 200
            leaks += _leaks(_body(response), f"GET {path}")
    for message in vendor_a_reports["outbox"]:
        assert message.to == ["ops@vendor-a.example"]
        parts = dict(_message_parts(message))
        assert {"subject", "text", "html"} <= set(parts) and len(parts) >= 6  # pdf, csv, xlsx
        # Vendor A's own report: its name and its queue's figures are there.
        assert b"Vendor A" in parts["subject"] and b"Vendor A sales" in parts["text"]
        for part, body in parts.items():
            leaks += _leaks(body, f"e-mail “{message.subject}” {part}")
    assert crawl.problems == []
    assert reached == 12  # every run's page, HTML and PDF
    assert leaks == [], "\n".join(leaks[:40])


def test_the_leak_check_sees_markers_in_every_kind_of_body():
    """Self-test: a marker in a page, a workbook cell, a PDF or an e-mail attachment is found."""
    import io

    from openpyxl import Workbook
    from reportlab.pdfgen.canvas import Canvas

    book = Workbook()
    book.active["B7"] = f"Queue {SECRET}"
    xlsx = io.BytesIO()
    book.save(xlsx)
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    canvas.drawString(72, 720, "Labour budget 4,650.00")
    canvas.save()
    kinds = {"page": HttpResponse(f"<td>{CENTRE_ONLY.lower()}</td>"),
             "xlsx": HttpResponse(xlsx.getvalue(), content_type="application/vnd.openxmlformats"
                                  "-officedocument.spreadsheetml.sheet"),
             "pdf": HttpResponse(pdf.getvalue(), content_type="application/pdf")}
    for kind, response in kinds.items():
        assert _leaks(_body(response), kind), kind
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(subject="Daily", body="fine", to=["a@example.org"])
    message.attach("report.pdf", pdf.getvalue(), "application/pdf")
    found = [leak for part, body in _message_parts(message) for leak in _leaks(body, part)]
    assert found == ["report.pdf leaked the centre's budget"]
    assert _leaks(b"Vendor A sales: 42 offered", "clean page") == []


def test_the_crawl_sees_every_kind_of_parameter(param_names, param_values):
    for expected in ("start", "end", "queue", "forecast", "stakeholder", "source", "status",
                     "at", "key", "granularity"):
        assert expected in param_names
    # Typed parameters get the values of their kind; those read by hand get every kind.
    assert param_values["start"] == (GARBAGE, *DATES)
    assert param_values["granularity"] == VALUES_BY_KIND["text"]
    assert param_values["at"] == param_values["key"] == ONE_AT_A_TIME
    assert set(ONE_AT_A_TIME) == {v for values in VALUES_BY_KIND.values() for v in values}
