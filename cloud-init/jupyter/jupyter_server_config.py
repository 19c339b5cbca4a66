# The students' servers start only what a class uses: install.sh puts this file in the students'
# environment (/opt/jupyterhub-classroom/user/etc/jupyter), where every student's server reads it.
# Each start of a whole class costs the Droplet's CPU; bench/student_server_start.py measures what
# each line saves (docs/performance.md).
import os

from jupyter_core.paths import jupyter_config_path

c = get_config()  # noqa: F821 (defined by traitlets while it loads this file)

# classroom-apply writes nbgrader's global config (/etc/jupyter) only while the class grades with
# it (classroom_hub/grading.py): then students get the Assignments list and validation, never the
# staff's formgrader or course list (the formgrader's own configuration, jupyter/grader/, has those).
grading = any(os.path.exists(os.path.join(path, "nbgrader_config.json")) for path in jupyter_config_path())
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.assignment_list": grading,
    "nbgrader.server_extensions.validate_assignment": grading,
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    # Notebook 7 (nbgrader needs it installed): students work in JupyterLab, at /lab.
    "notebook": False,
    # The hub copies the course into each home before the server starts (classroom_hub/course_repo.py);
    # nbgitpuller's links are not how this class gets its notebooks.
    "nbgitpuller": False,
    # Language servers: none is installed in the students' environment, so it would only search for them.
    "jupyter_lsp": False,
    # Serves classic Notebook extensions to Notebook 7, which students' servers do not run.
    "notebook_shim": False,
}
# Nothing reaches the network when a student opens JupyterLab: no news feed, no update check, no
# extension catalogue from PyPI (students cannot install extensions into the shared environment).
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
# jupyter-resource-usage: JupyterLab's status bar shows the student's memory (the server's and its
# kernels' and terminals' RSS) against MEM_LIMIT, which the hub sets from memoryLimit, the limit
# their unit enforces (MemoryMax=). Measured only when JupyterLab asks: no sampling of every
# student's processes each second for Prometheus, and none of the Droplet's own load shown.
c.ResourceUseDisplay.enable_prometheus_metrics = False
c.ResourceUseDisplay.show_host_usage = False
