"""The documentation site: executed notebooks, their Markdown pages, and generated pages.

`notebooks` runs the notebooks with nbclient, `convert` turns them into Markdown,
`pages` writes the pages made from the suite (catalogue, matrix, CLI), `mkdocs_hooks`
hands all of it to MkDocs, and `build` is the one command that does everything.
"""
