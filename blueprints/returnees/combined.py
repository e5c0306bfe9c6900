"""Several independent lists read in one statement: a page that shows ten lists of one dossier pays
one round trip, not ten (DESIGN §14: at most 8 statements for a dossier, whatever its rows).

A `Part` describes one list: its main entity, what comes along through outer joins, its filter,
order and limit. `part.rows()` reads it alone; `together(parts)` reads several at once. The combined
statement first gathers every part's keys, (part number, id), in a UNION ALL in which each part keeps
its own filter, order and limit; then it outer-joins each part's tables on those keys. A row fills
only its own part's columns, so the parts add up rather than multiply, and every entity comes back
as the ORM object it is. Tenant scoping reaches every table of it (the keys' subqueries and the
joins' ON clauses), like any other query; row-level security checks it again on PostgreSQL.

A model used by two parts of one read needs an alias in one of them (`sqlalchemy.orm.aliased`); a
part's filter names its main table only, and a subquery in it must not correlate (`.correlate(None)`):
the combined statement repeats the filter in its join.
"""

from dataclasses import dataclass

from sqlalchemy import Integer, and_, literal, select, union_all

from portal.extensions import db


@dataclass(frozen=True)
class Part:
    model: type  # the main entity: one row of the list each
    where: tuple = ()
    order_by: tuple = ()
    columns: tuple = ()  # entities or columns after the model, from the tables of `joins`
    joins: tuple = ()  # (target, onclause) pairs, outer-joined in this order
    limit: int | None = None
    offset: int = 0

    def _joined(self, query):
        for target, onclause in self.joins:
            query = query.outerjoin(target, onclause)
        return query

    def query(self):
        """The part as a statement of its own."""
        query = self._joined(select(self.model, *self.columns)).where(*self.where).order_by(*self.order_by)
        return query if self.limit is None else query.limit(self.limit).offset(self.offset)

    def rows(self) -> list[tuple]:
        return [tuple(row) for row in db.session.execute(self.query())]

    def keys(self, number: int):
        """(number, id) of each of the part's rows; ordered and cut only when a limit asks for it."""
        query = select(literal(number, Integer).label("part"), self.model.id.label("id")).where(*self.where)
        if self.limit is None:
            return query
        # The order may name the joined tables. A member of a UNION may not carry its own ORDER BY
        # and LIMIT on every database: wrap it.
        query = self._joined(query).order_by(*self.order_by).limit(self.limit).offset(self.offset)
        limited = query.subquery()
        return select(limited.c.part, limited.c.id)


def entities(rows: list[tuple]) -> list:
    """The main entity of each row of a part (for a part that brings nothing along)."""
    return [row[0] for row in rows]


def together(parts: dict[str, Part]) -> dict[str, list[tuple]]:
    """{name: the part's rows, as `part.rows()` gives them}, in one statement."""
    if not parts:
        return {}
    listed = list(parts.values())
    keys = union_all(*(part.keys(number) for number, part in enumerate(listed))).subquery("part_keys")
    query = select(keys.c.part).select_from(keys)
    spans, start = [], 1  # a row: the part number, then each part's entity and columns
    for number, part in enumerate(listed):
        query = query.add_columns(part.model, *part.columns)
        spans.append(slice(start, start + 1 + len(part.columns)))
        start = spans[-1].stop
        # The part's filter again, beside its keys: whatever plan the database picks for the join, it
        # reads the dossier's rows of that table, never the whole unit's.
        on = and_(keys.c.part == number, part.model.id == keys.c.id, *part.where)
        query = part._joined(query.outerjoin(part.model, on))
    # Within one part the other parts' columns are all NULL: each part's own order decides.
    query = query.order_by(keys.c.part, *(column for part in listed for column in part.order_by))
    found = {name: [] for name in parts}
    names = list(parts)
    for row in db.session.execute(query):
        found[names[row[0]]].append(tuple(row[spans[row[0]]]))
    return found
