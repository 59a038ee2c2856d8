# Read by the flask command (python-dotenv): `flask run` finds the app.
FLASK_APP={{ cookiecutter.package_name }}

# The port of `flask run`; FLASK_RUN_PORT in the environment wins.
FLASK_RUN_PORT={{ cookiecutter.dev_port }}
