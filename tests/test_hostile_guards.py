"""Guards against the shapes that let hostile input through: lines silently skipped by a CSV
reader, and date parameters without the 1990–2100 bounds. Each guard is shown a bad case."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APPS = ("contactmis", "pathways", "measurements", "reports", "stakeholders")
BOUNDED_HOMES = {"contactmis/params.py", "contactmis/api/fields.py"}
PLAIN_MODEL_SERIALIZER = re.compile(r"\(\s*serializers\.ModelSerializer\s*\)")

SKIPPED_LINES = re.compile(r"on_bad_lines\s*=\s*[\"'](skip|warn)[\"']")
UNBOUNDED_DATE = re.compile(r"\b(forms|serializers)\.Date(Time)?Field\(")


def _sources():
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if "/migrations/" not in rel:
                yield rel, path.read_text()


def offenders(pattern, sources, exempt=frozenset()):
    return sorted(rel for rel, text in sources if rel not in exempt and pattern.search(text))


def test_no_reader_skips_bad_lines_silently():
    assert offenders(SKIPPED_LINES, _sources()) == []


def test_every_date_parameter_is_bounded():
    assert offenders(UNBOUNDED_DATE, _sources(), BOUNDED_HOMES) == []


def test_every_model_serializer_bounds_its_dates():
    assert offenders(PLAIN_MODEL_SERIALIZER, _sources(), BOUNDED_HOMES) == []


def test_the_guards_catch_a_bad_case():
    bad = [("x/adapter.py", 'pd.read_csv(p, on_bad_lines="skip")'),
           ("x/forms.py", "start = forms.DateField(required=False)"),
           ("x/api.py", "day = serializers.DateField()"),
           ("x/ser.py", "class PlanSerializer(serializers.ModelSerializer):")]
    assert offenders(SKIPPED_LINES, bad) == ["x/adapter.py"]
    assert offenders(UNBOUNDED_DATE, bad) == ["x/api.py", "x/forms.py"]
    assert offenders(PLAIN_MODEL_SERIALIZER, bad) == ["x/ser.py"]
