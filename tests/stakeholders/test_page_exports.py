"""Every analysis page downloads what it shows: an Excel workbook (a sheet saying what the
figures are, then every table in full) and each table as CSV, under the page's own permission
and scope. A vendor's download holds its own queues only."""
import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def _period(today):
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(io.BytesIO(response.content))


def _cells(sheet):
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("page", ["kpis", "patterns", "staffing", "queueing"])
def test_every_analysis_page_downloads_a_workbook_with_a_header(client, manager, two_vendors,
                                                                today, page):
    client.force_login(manager)
    extra = {"target_sl": "0.8"} if page == "staffing" else {}
    html = client.get(reverse(f"reports:{page}"), {**_period(today), **extra}).content.decode()
    assert "Excel workbook (all tables)" in html and "export=xlsx" in html
    book = _workbook(client.get(reverse(f"reports:{page}"),
                                {**_period(today), **extra, "export": "xlsx"}))
    about = [row[0] for row in _cells(book["About"])]
    assert about[0].startswith("ContactMIS — ")
    assert any(line.startswith("Period: 01 ") for line in about)
    assert any(line.startswith("Exported ") and line.endswith("by manager") for line in about)


def test_kpi_workbook_has_every_row_with_thresholds_and_targets(client, manager, two_vendors,
                                                                today):
    client.force_login(manager)
    query = {**_period(today), "granularity": "15min", "by": ["queue"]}
    page = client.get(reverse("reports:kpis"), query).context["report"]
    book = _workbook(client.get(reverse("reports:kpis"), {**query, "export": "xlsx"}))
    sheet = _cells(book["KPIs by period and segment"])
    header = sheet[2]  # the table's title, a blank row, then the header
    assert sheet[0] == ("KPIs by period and segment",) + (None,) * (len(sheet[0]) - 1)
    body = sheet[3:]
    assert len(body) == len(page["tables"]["kpis"])  # every row, not the page's first 200
    assert "Service level (0–1)" in header and "Queue" in header
    assert "Service level target (0–1)" in header
    about = [row[0] for row in _cells(book["About"])]
    assert any(line.startswith("Definitions: Service level") for line in about)
    assert any(line.startswith("Filters: ") and "granularity=15min" in line
               and "by=queue" in line for line in about)
    assert "Plan targets and actuals" in book.sheetnames


def test_one_table_as_csv_and_a_bad_table_or_format_is_404(client, manager, two_vendors, today):
    client.force_login(manager)
    url = reverse("reports:kpis")
    response = client.get(url, {**_period(today), "export": "csv", "table": "targets"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["ContactMIS — KPIs"]
    assert ["Plan targets and actuals"] in lines
    header = lines[lines.index(["Plan targets and actuals"]) + 1]
    assert "Target" in header and "Actual" in header
    assert client.get(url, {**_period(today), "export": "csv",
                            "table": "nope"}).status_code == 404
    assert client.get(url, {**_period(today), "export": "pdfx"}).status_code == 404


def test_a_vendor_downloads_its_own_queues_only(client, viewer, two_vendors, today):
    client.force_login(viewer)
    query = {**_period(today), "by": ["queue"], "granularity": "day"}
    response = client.get(reverse("reports:kpis"), {**query, "export": "xlsx"})
    book = _workbook(response)
    text = " ".join(str(c) for ws in book.worksheets for row in _cells(ws) for c in row if c)
    assert "Vendor A sales" in text and SECRET not in text
    response = client.get(reverse("reports:kpis"), {**query, "export": "csv"})
    assert SECRET not in response.content.decode("utf-8-sig")
    # Pages a vendor may not open do not download either.
    assert client.get(reverse("reports:staffing"),
                      {**_period(today), "export": "xlsx"}).status_code in (403, 404)


def test_an_anonymous_download_asks_to_log_in(client, two_vendors, today):
    response = client.get(reverse("reports:kpis"), {**_period(today), "export": "xlsx"})
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("page", ["kpis", "patterns", "staffing", "queueing"])
def test_every_analysis_page_prints_as_an_a4_pdf_with_its_figures(client, manager, two_vendors,
                                                                 today, page):
    from pypdf import PdfReader

    from reports.templatetags.report_format import kpi

    client.force_login(manager)
    extra = {"target_sl": "0.8"} if page == "staffing" else {}
    query = {**_period(today), **extra}
    report = client.get(reverse(f"reports:{page}"), query).context["report"]
    response = client.get(reverse(f"reports:{page}"), {**query, "export": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "About these figures" in text and "Exported " in text
    # The first figure of the page's first table reads the same in print.
    found = next((r for r in report["tables"].values() if r), None)
    if found is None:  # queueing reads contact legs of one queue; this month has none
        assert report["empty"] and "No data for this period in this scope." in text
        return
    column = next(c for c, v in found[0].items() if isinstance(v, (int, float)))
    assert kpi(found[0][column], column) in text
