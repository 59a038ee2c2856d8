# Read by the flask command (python-dotenv): `flask run` finds the app.
FLASK_APP={{ cookiecutter.package_name }}
