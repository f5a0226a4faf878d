"""Everything that decides which samples exist and brings them in.

- :mod:`.sheet`: the sample sheet (read, validate, layouts);
- :mod:`.plan`: which samples a config means: a local sheet, ENA runs,
  a mapped sample-information file, a feature table;
- :mod:`.ena`: the ENA portal and browser APIs, verified downloads;
- :mod:`.mapping`: a study's attributes to the sheet's canonical columns;
- :mod:`.feature_table`: a table-stage study made into the ASV-table files;
- :mod:`.studies`: several studies' configs loaded and their tables merged.

Nothing here imports the science modules.
"""
