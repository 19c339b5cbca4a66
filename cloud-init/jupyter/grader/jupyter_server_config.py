# The formgrader's own configuration (classroom_hub/services.py points its JUPYTER_CONFIG_PATH here),
# read after the students' environment's jupyter_server_config.py, which it amends: nbgrader's
# extensions for a shared grader account, by nbgrader's JupyterHub docs ("Formgraders" column).
c = get_config()  # noqa: F821 (defined by traitlets while it loads this file)

c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.formgrader": True,
    # The grader fetches and submits nothing; course lists are for a hub with many courses.
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
})
