"""Prepare the demonstration centre and its logins (called by ``make demo``)."""
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from contactmis.roles import ANALYST, MANAGER, VIEWER
from contactmis.selectors import centre_get_or_create_default
from contactmis.services import user_create_with_role

DEMO_LOGINS = (
    ("manager", "contactmis-manager", MANAGER, "Morgan", "Manager"),
    ("analyst", "contactmis-analyst", ANALYST, "Alex", "Analyst"),
    ("vendor", "contactmis-vendor", VIEWER, "Vera", "Vendor"),
    ("teamlead", "contactmis-teamlead", VIEWER, "Tess", "Teamlead"),
)


class Command(BaseCommand):
    help = "Create the demonstration centre and its logins, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--skip-data", action="store_true",
                            help="Only the centre and logins; no simulated data.")
        parser.add_argument("--host", default="127.0.0.1",
                            help="Host the site will be served on (for the printed address).")
        parser.add_argument("--port", type=int, default=8000,
                            help="Port the site will be served on (for the printed address).")

    def handle(self, *args, skip_data=False, host="127.0.0.1", port=8000, **options):
        centre = centre_get_or_create_default()
        for username, password, role, first, last in DEMO_LOGINS:
            user = user_create_with_role(username=username, password=password, role=role,
                                         first_name=first, last_name=last,
                                         email=f"{username}@demo.contactmis.invalid")
            if role == MANAGER:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        # The simulated centre arrives with the demo-data command; until then the site is empty.
        if not skip_data and "demo_load" in get_commands():
            call_command("demo_load", stdout=self.stdout, stderr=self.stderr)
            centre.refresh_from_db()  # the demo names the centre
        self.stdout.write("")
        banner = f"ContactMIS demo: {centre.name} ({centre.time_zone})"
        self.stdout.write(self.style.SUCCESS(banner))
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # all interfaces: local works
        self.stdout.write(f"Open http://{shown}:{port} and sign in as:")
        for username, password, role, _first, _last in DEMO_LOGINS:
            self.stdout.write(f"  {role:<8} user {username:<8} password {password}")
