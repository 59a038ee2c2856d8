"""Remove the directories left empty by features that were not chosen."""

import os

for directory, _, _ in os.walk(".", topdown=False):
    if directory != "." and not os.listdir(directory):
        os.rmdir(directory)
