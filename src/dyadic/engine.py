"""Where relational indicators run: DuckDB (embedded, the default) or Spark. The only engine-specific module.

Indicators are written once as Ibis expressions over tables from an :class:`Engine`; :func:`engine_for`
picks the engine by name (see :data:`ENGINES`). Every engine has one small interface: the store's tables
(:meth:`Engine.table`, :meth:`Engine.tables`), a result as Arrow or pandas (:meth:`Engine.to_arrow`,
:meth:`Engine.to_pandas`), a Parquet dataset written all or nothing (:meth:`Engine.write_parquet`),
:meth:`Engine.read_delimited`, :meth:`Engine.limit_memory` and :meth:`Engine.close`. The store stays a
DuckDB file: Spark reads its tables from a Parquet export (see docs/engines.md).

>>> with engine_for("spark", store) as e:
...     t = e.table("gdp")
...     e.write_parquet(t.filter(t.year > 2000), "out/gdp", partition_by=["year"])

Only public Ibis APIs are used: ``to_pyarrow``/``to_parquet`` on DuckDB; on Spark ``create_view`` (which
registers an expression's in-memory tables) read back with ``DataFrame.toArrow()``, and ``to_parquet``.

Settings (environment):

- ``DYADIC_SPARK_MASTER``: the Spark master when none is passed (default ``local[2]``; under
  ``spark-submit`` the master it was given).
- ``DYADIC_SPARK_DRIVER_MEMORY``: the driver JVM's heap (e.g. ``1g``) when this process starts it (local
  mode runs the executors inside it, so this bounds the job's memory; Spark spills the rest to disk).
  Without it Spark's default applies (a quarter of the RAM at most, taken as the job grows).
- ``DYADIC_SPARK_STAGING``: the folder store tables are exported to for Spark (default a temporary folder
  removed at exit). On a cluster it must be a path the driver writes and every executor reads.
"""

from __future__ import annotations

import abc
import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterable, Self

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from dyadic.errors import DyadicError, RequestError

if TYPE_CHECKING:
    from dyadic.store import Store

DEFAULT_MASTER = "local[2]"
SPARK_HINT = "install the Spark engine with pip install 'dyadic[spark]' and a Java 17 runtime (e.g. openjdk-17-jre-headless)"

# One SparkSession per process (Spark allows one per JVM, and starting one costs seconds): shared by every
# SparkEngine, never stopped by one.
_session = None


class Engine(abc.ABC):
    """Runs Ibis expressions over one store's tables on one backend.

    Args:
        con: the store's DuckDB connection (DuckDB runs on it; Spark exports the store's tables from it).
    """

    #: the name :data:`ENGINES` knows it by
    name: ClassVar[str]
    #: whether ``dyadic panel`` composes the relational steps into one query here (Spark: the panel's rows
    #: never travel to the engine between steps) rather than one query per step; the expressions are the same
    #: (docs/engines.md)
    panel_in_query: ClassVar[bool] = False

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._spill: Path | None = None

    @property
    @abc.abstractmethod
    def backend(self) -> ibis.BaseBackend:
        """The Ibis backend expressions of this engine are bound to."""

    @abc.abstractmethod
    def table(self, name: str) -> ibis.Table:
        """The store table ``name`` as an Ibis table on this engine."""

    def tables(self, names: Iterable[str]) -> dict[str, ibis.Table]:
        """The named store tables: name -> Ibis table."""
        return {n: self.table(n) for n in names}

    @abc.abstractmethod
    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        """Run ``expr`` and return the result as an Arrow table (no pandas round trip)."""

    def to_pandas(self, expr: ibis.Table, dictionary: Iterable[str] = ()) -> pd.DataFrame:
        """Run ``expr``; missing values come back as NaN/None.

        Both engines hand over Arrow, converted to pandas the same way, so equal results give equal frames.
        (Ibis's own pandas conversion is several times slower on a million rows.)

        Args:
            dictionary: string columns to return as categoricals (Arrow dictionaries: a million codes never
                become a million Python strings).

        Returns:
            The result, columns in the expression's order.
        """
        tbl = self.to_arrow(expr)
        wanted = set(dictionary)
        for i, name in enumerate(tbl.column_names):
            col = tbl.column(i)
            is_dict = pa.types.is_dictionary(col.type)
            if name in wanted and not is_dict:
                tbl = tbl.set_column(i, name, col.dictionary_encode())
            elif is_dict and name not in wanted:
                tbl = tbl.set_column(i, name, col.cast(col.type.value_type))
        return tbl.to_pandas()

    def write_parquet(self, expr: ibis.Table, path: str | Path, partition_by: Iterable[str] | None = None) -> Path:
        """Write ``expr`` as a Parquet dataset folder at ``path``, all of it or nothing.

        The engine writes into a temporary sibling folder; only when that is complete does it replace ``path``
        (an existing output stays untouched until then). On failure the temporary folder is removed.

        Args:
            expr: an Ibis table expression on this engine (``ibis.memtable`` included).
            path: the output folder.
            partition_by: columns to partition by (Hive layout, e.g. ``year=1990/``).

        Returns:
            ``path``.

        Raises:
            DyadicError: naming ``path`` and the cause, when the query or the write fails.
        """
        path = Path(path)
        parts = list(partition_by or ())
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write(expr, tmp, parts)
            _swap_in(tmp, path)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, DyadicError) or not isinstance(exc, Exception):
                raise
            raise DyadicError(f"cannot write {path}: {_first_line(exc)}") from exc
        return path

    @abc.abstractmethod
    def _write(self, expr: ibis.Table, tmp: Path, parts: list[str]) -> None:
        """Write ``expr`` as a Parquet dataset into the new folder ``tmp`` (which must not exist yet)."""

    @abc.abstractmethod
    def read_delimited(self, paths: list[str | Path], columns: dict[str, str], name: str,
                       delim: str = "\t") -> ibis.Table:
        """Headerless delimited text files with a fixed schema as one Ibis table, plus a ``filename`` column.

        No quoting (GDELT fields hold quotes verbatim), empty fields are missing, dates are ``YYYYMMDD``, a
        line with the wrong number of fields or a value of the wrong type fails the query. BOOLEAN columns
        hold 0/1.

        Args:
            paths: plain or gzip-compressed files (local paths or, on Spark, any URI it reads: ``s3a://``,
                ``gs://``, ``hdfs://``).
            columns: column name -> DuckDB type name (one of :data:`DELIMITED_TYPES`), in file order.
            name: the view name to register.
            delim: field separator.
        """

    def limit_memory(self, limit: str = "256MB") -> None:
        """Hold the store's DuckDB connection to ``limit`` for a large job: it spills to a temporary folder
        beyond it. Undone by :meth:`close`.

        DuckDB runs the queries of the DuckDB engine and the store-table exports of the Spark engine (whose
        own heap is set when the session starts: ``DYADIC_SPARK_DRIVER_MEMORY``). Row order is given up too
        (results carry no meaning in it), which lets DuckDB write in parallel and spill more. A low limit is
        the robust one for the event job: measured on 8 million GDELT rows, 256 MB and 512 MB complete in
        the same time, while 768 MB and 1 GB fail (the cached rows and the de-duplication's window then
        compete for memory instead of spilling).
        """
        if self._spill is None:
            self._spill = Path(tempfile.mkdtemp(prefix="dyadic-spill-"))
            atexit.register(shutil.rmtree, self._spill, True)  # in case close() is never called
        self.con.execute(f"SET memory_limit = '{limit}'; SET temp_directory = '{_quote(self._spill)}'; "
                         "SET preserve_insertion_order = false")

    def close(self) -> None:
        """Release what this engine made: its memory limit and spill folder, Spark's table exports.

        The store's connection and the Spark session stay open (they belong to the store and the process).
        """
        if self._spill is not None:
            self.con.execute("RESET memory_limit; RESET temp_directory; RESET preserve_insertion_order")
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    """The embedded engine: expressions run on the store's own DuckDB connection, tables read in place."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self._backend = ibis.duckdb.from_connection(con)

    @property
    def backend(self) -> ibis.BaseBackend:
        return self._backend

    def table(self, name: str) -> ibis.Table:
        return self._backend.table(name)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self._backend.to_pyarrow(expr)

    def _write(self, expr: ibis.Table, tmp: Path, parts: list[str]) -> None:
        if parts:
            # Ibis writes each keyword as a Python literal: one column must be a string ('year',) is no SQL.
            self._backend.to_parquet(expr, tmp, partition_by=parts[0] if len(parts) == 1 else tuple(parts))
        else:
            tmp.mkdir()
            self._backend.to_parquet(expr, tmp / "part-0.parquet")

    def read_delimited(self, paths: list[str | Path], columns: dict[str, str], name: str,
                       delim: str = "\t") -> ibis.Table:
        _check_types(columns)
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_csv([{files}], delim='{delim}', header=false, "
            f"quote='', escape='', auto_detect=false, columns={columns!r}, dateformat='%Y%m%d', filename=true)")
        return self._backend.table(name)


class SparkEngine(Engine):
    """Spark through PySpark (``local[2]`` or a cluster, see :func:`spark_session`).

    Store tables reach Spark as Parquet exports written by DuckDB, one per table, cached by this engine while
    the table's content is unchanged; ENUM columns are exported as strings, every other type as DuckDB
    stores it, so both engines see the same values and types.
    """

    name = "spark"
    panel_in_query = True

    def __init__(self, con: duckdb.DuckDBPyConnection, master: str | None = None) -> None:
        super().__init__(con)
        self.session = spark_session(master)
        self._backend = ibis.pyspark.connect(self.session)
        self._staging: Path | None = None
        self._exports: dict[tuple, str] = {}  # (database, table, rows, content hash) -> exported Parquet path

    @property
    def backend(self) -> ibis.BaseBackend:
        return self._backend

    def table(self, name: str) -> ibis.Table:
        return self._backend.read_parquet(self._export(name))

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        # Ibis's PySpark to_pyarrow goes through pandas (slow, strings become Python objects); a temporary
        # view (create_view registers the expression's memtables) read with toArrow() does not.
        view = f"dyadic_result_{uuid.uuid4().hex}"
        self._backend.create_view(view, expr)
        try:
            return self.session.table(view).toArrow()
        finally:
            self._backend.drop_view(view, force=True)

    def _write(self, expr: ibis.Table, tmp: Path, parts: list[str]) -> None:
        self._backend.to_parquet(expr, tmp, mode="errorifexists", partitionBy=parts or None)

    def read_delimited(self, paths: list[str | Path], columns: dict[str, str], name: str,
                       delim: str = "\t") -> ibis.Table:
        from pyspark.sql import functions as F

        _check_types(columns)
        schema = ", ".join(f"`{c}` {DELIMITED_TYPES[t]}" for c, t in columns.items())
        df = (self.session.read.schema(schema).option("sep", delim).option("header", "false").option("quote", "")
              .option("mode", "FAILFAST").option("dateFormat", "yyyyMMdd").csv([str(p) for p in paths]))
        df = df.select(*[(F.col(c) != 0).alias(c) if t == "BOOLEAN" else F.col(c) for c, t in columns.items()],
                       F.input_file_name().alias("filename"))
        df.createOrReplaceTempView(name)
        return self._backend.table(name)

    def close(self) -> None:
        super().close()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
            self._exports.clear()

    def _export(self, name: str) -> str:
        con = self.con
        cols = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                           "ORDER BY ordinal_position", [name]).fetchall()
        if not cols:
            raise DyadicError(f"the store has no table '{name}'")
        db = con.execute("SELECT current_database()").fetchone()[0]
        n, digest = con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" AS t').fetchone()
        key = (db, name, n, digest)
        if key not in self._exports:
            target = self._staging_dir() / f"{name}-{uuid.uuid4().hex}.parquet"
            enums = {c for c, in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND data_type LIKE 'ENUM%'",
                [name]).fetchall()}
            select = ", ".join(f'"{c}"::VARCHAR AS "{c}"' if c in enums else f'"{c}"' for c, _ in cols)
            con.execute(f"COPY (SELECT {select} FROM \"{name}\") TO '{_quote(target)}' (FORMAT parquet)")
            self._exports[key] = str(target)
        return self._exports[key]

    def _staging_dir(self) -> Path:
        if self._staging is None:
            root = os.environ.get("DYADIC_SPARK_STAGING")
            if root:
                self._staging = Path(root) / f"dyadic-{uuid.uuid4().hex[:12]}"
                self._staging.mkdir(parents=True)
            else:
                self._staging = Path(tempfile.mkdtemp(prefix="dyadic-spark-"))
            atexit.register(shutil.rmtree, self._staging, ignore_errors=True)  # in case close() is never called
        return self._staging


#: engine name -> class
ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def check_engine(name: str) -> str:
    """Return ``name`` if it is a known engine, else raise :class:`RequestError` listing the choices."""
    if name not in ENGINES:
        raise RequestError(f"unknown engine '{name}': choose {' or '.join(ENGINES)}")
    return name


def engine_for(name: str, store: Store | duckdb.DuckDBPyConnection) -> Engine:
    """The engine called ``name`` over ``store`` (a :class:`~dyadic.store.Store` or its DuckDB connection).

    Raises:
        RequestError: for an unknown name.
        DyadicError: when Spark cannot start (pyspark or Java missing).
    """
    con = store if isinstance(store, duckdb.DuckDBPyConnection) else store.con
    return ENGINES[check_engine(name)](con)


def spark_session(master: str | None = None):
    """The process's SparkSession, started on first use (UTC, quiet logs, no UI, few shuffle partitions).

    Args:
        master: Spark master URL; default ``$DYADIC_SPARK_MASTER``, else the one ``spark-submit`` passed,
            else ``local[2]``.

    Returns:
        A ``pyspark.sql.SparkSession``.
    """
    global _session
    master = master or os.environ.get("DYADIC_SPARK_MASTER") or None
    if _session is not None:
        current = _session.sparkContext.master
        if master and master != current:
            raise DyadicError(f"a Spark session on '{current}' is already running in this process; "
                              f"cannot switch to '{master}'")
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DyadicError(f"the Spark engine needs pyspark: {SPARK_HINT}") from exc
    launched = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started this driver with its own master
    if not launched and not _java_available():
        raise DyadicError(f"the Spark engine needs a Java runtime and none was found (JAVA_HOME, PATH): {SPARK_HINT}")
    builder = (SparkSession.builder.appName("dyadic")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if master or not launched:
        builder = builder.master(master or DEFAULT_MASTER)
    heap = os.environ.get("DYADIC_SPARK_DRIVER_MEMORY")
    if heap and not launched:  # under spark-submit the JVM is already running: --driver-memory sets it
        builder = builder.config("spark.driver.memory", heap)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Java missing, too old, or misconfigured
        raise DyadicError(f"cannot start Spark ({_first_line(exc)}): {SPARK_HINT}") from exc
    session.sparkContext.setLogLevel("ERROR")
    _session = session
    return session


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool((home and Path(home, "bin", "java").exists()) or shutil.which("java"))


# Thin wrappers over the engine methods, kept for callers written against the functions (tests, notebooks).

def connect(engine: str, duckdb_con: duckdb.DuckDBPyConnection) -> Engine:
    """The engine called ``engine`` over the store connection ``duckdb_con`` (see :func:`engine_for`)."""
    return engine_for(engine, duckdb_con)


def load_tables(engine: Engine, duckdb_con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, ibis.Table]:
    """``engine.tables(names)``; ``duckdb_con`` must be the connection the engine was made over."""
    if duckdb_con is not engine.con:
        raise DyadicError("load_tables: the engine was made over another store connection")
    return engine.tables(names)


def to_arrow(engine: Engine, expr: ibis.Table) -> pa.Table:
    """``engine.to_arrow(expr)``."""
    return engine.to_arrow(expr)


def execute(engine: Engine, expr: ibis.Table, dictionary: Iterable[str] = ()) -> pd.DataFrame:
    """``engine.to_pandas(expr, dictionary)``."""
    return engine.to_pandas(expr, dictionary)


def write_parquet(engine: Engine, expr: ibis.Table, path: str | Path, partition_by: Iterable[str] = ()) -> Path:
    """``engine.write_parquet(expr, path, partition_by)``."""
    return engine.write_parquet(expr, path, partition_by)


def _swap_in(tmp: Path, path: Path) -> None:
    """Move the complete ``tmp`` to ``path``; an old output is set aside first and restored on failure."""
    old = None
    if path.exists() or path.is_symlink():
        old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
        path.rename(old)
    try:
        tmp.rename(path)
    except BaseException:
        if old is not None:
            old.rename(path)
        raise
    if old is not None:
        (shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink())


def _quote(p: Path) -> str:
    return str(p).replace("'", "''")


def _first_line(exc: BaseException) -> str:
    """The useful line of an engine error (Spark's carry a JVM stack trace after it)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


#: the DuckDB type names :meth:`Engine.read_delimited` reads -> Spark SQL types
DELIMITED_TYPES = {"BIGINT": "long", "INTEGER": "integer", "SMALLINT": "short", "TINYINT": "byte", "DOUBLE": "double",
                   "VARCHAR": "string", "DATE": "date", "BOOLEAN": "integer"}


def _check_types(columns: dict[str, str]) -> None:
    unknown = sorted(set(columns.values()) - set(DELIMITED_TYPES))
    if unknown:
        raise RequestError(f"read_delimited: unsupported column types {unknown}")
