"""Remove the directories left empty by features that were not chosen.

flaskproto does this itself; the hook is for plain ``cookiecutter`` runs.
"""

import os

for directory, _, _ in os.walk(".", topdown=False):
    if directory != "." and not os.listdir(directory):
        os.rmdir(directory)
