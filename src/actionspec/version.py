"""The kit's version: a leaf, so a report can name it without importing the package root."""

VERSION = '0.1.0'
