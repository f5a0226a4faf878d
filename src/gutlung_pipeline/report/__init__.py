"""The report wing: the self-contained HTML report and its SVG figures.

- :mod:`.names`: the figure names and the manifest's keys (light: the
  workflow imports it at every start);
- :mod:`.figures`: pure figure functions, tables in, a figure out;
- :mod:`.summaries`: the sentences above each section's table;
- :mod:`.html`: the page;
- :mod:`.build`: reads the files a manifest names and assembles the report.

Nothing is imported here, so that importing :mod:`.names` stays light.
"""
