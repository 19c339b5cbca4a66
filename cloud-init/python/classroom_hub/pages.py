"""What the hub's pages show of the class (templates/login.html, templates/home.html), from
class.json: JupyterHub.template_vars, the same on both platforms. Jinja escapes every value."""

from . import TEMPLATES


def configure_pages(c, settings: dict) -> None:
    login_page = settings["loginPage"]
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = {"classroom": {
        "title": login_page["title"],
        "logo_url": login_page["logoUrl"],
        "primary_color": login_page["primaryColor"],
        "announcement": login_page["announcement"],
        "help_links": login_page["helpLinks"],
        "home_announcement": settings["homePage"]["announcement"],
    }}
