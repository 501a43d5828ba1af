from setuptools import setup

setup(name="detectron-copy", version="0.0.1")
