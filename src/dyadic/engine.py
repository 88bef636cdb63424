"""Where relational indicators run: DuckDB (embedded, the default) or Spark. The only engine-specific module.

Indicators are written once as Ibis expressions over tables from :func:`load_tables`; :func:`connect` picks
the backend, :func:`execute` brings a result back as pandas, :func:`write_parquet` writes it as a Parquet
dataset. The store stays a DuckDB file: Spark reads its tables from a Parquet export (see docs/engines.md).

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

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterable

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from dyadic.errors import DyadicError, RequestError

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"
SPARK_HINT = "install the Spark engine with pip install 'dyadic[spark]' and a Java 17 runtime (e.g. openjdk-17-jre-headless)"

_session = None  # one SparkSession per process: starting one costs seconds
_staging: Path | None = None
_exports: dict[tuple, str] = {}  # (database, table, content hash) -> exported Parquet path


def check_engine(name: str) -> str:
    """Return ``name`` if it is a known engine, else raise :class:`RequestError` listing the choices."""
    if name not in ENGINES:
        raise RequestError(f"unknown engine '{name}': choose {' or '.join(ENGINES)}")
    return name


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


def connect(engine: str, duckdb_con: duckdb.DuckDBPyConnection):
    """An Ibis backend for ``engine``.

    Args:
        engine: ``duckdb`` or ``spark``.
        duckdb_con: the store's connection (used as is by the DuckDB engine).

    Returns:
        An Ibis backend: DuckDB over that connection, or PySpark over :func:`spark_session`.
    """
    if check_engine(engine) == "duckdb":
        return ibis.duckdb.from_connection(duckdb_con)
    return ibis.pyspark.connect(spark_session())


def limit_memory(duckdb_con: duckdb.DuckDBPyConnection, limit: str = "256MB") -> None:
    """Hold a DuckDB connection to ``limit`` for a large job: it spills to a temporary folder beyond it.

    Row order is given up too (results carry no meaning in it), which lets DuckDB write in parallel and
    spill more. A low limit is the robust one for the event job: measured on 8 million GDELT rows, 256 MB
    and 512 MB complete in the same time, while 768 MB and 1 GB fail (the cached rows and the
    de-duplication's window then compete for memory instead of spilling).
    """
    spill = tempfile.mkdtemp(prefix="dyadic-spill-")
    atexit.register(shutil.rmtree, spill, True)
    duckdb_con.execute(f"SET memory_limit = '{limit}'; SET temp_directory = '{_quote(Path(spill))}'; "
                       "SET preserve_insertion_order = false")


def is_spark(backend) -> bool:
    return backend.name == "pyspark"


def load_tables(backend, duckdb_con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, ibis.Table]:
    """The named store tables as Ibis tables on ``backend``.

    DuckDB reads them in place. Spark reads a Parquet export of each (written by DuckDB, cached for the
    process while the table's content is unchanged); ENUM columns are exported as strings, every other type
    as DuckDB stores it, so both engines see the same values and types.

    Args:
        backend: from :func:`connect`.
        duckdb_con: the store's connection.
        names: table names.

    Returns:
        name -> Ibis table.
    """
    if not is_spark(backend):
        return {n: backend.table(n) for n in names}
    return {n: backend.read_parquet(_export(duckdb_con, n)) for n in names}


def _export(con: duckdb.DuckDBPyConnection, name: str) -> str:
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [name]).fetchall()
    if not cols:
        raise DyadicError(f"the store has no table '{name}'")
    db = con.execute("SELECT current_database()").fetchone()[0]
    n, digest = con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" AS t').fetchone()
    key = (id(con), db, name, n, digest)
    if key not in _exports:
        target = _staging_dir() / f"{name}-{uuid.uuid4().hex}.parquet"
        enums = {c for c, in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND data_type LIKE 'ENUM%'",
            [name]).fetchall()}
        select = ", ".join(f'"{c}"::VARCHAR AS "{c}"' if c in enums else f'"{c}"' for c, _ in cols)
        con.execute(f"COPY (SELECT {select} FROM \"{name}\") TO '{_quote(target)}' (FORMAT parquet)")
        _exports[key] = str(target)
    return _exports[key]


def _staging_dir() -> Path:
    global _staging
    if _staging is None:
        root = os.environ.get("DYADIC_SPARK_STAGING")
        if root:
            _staging = Path(root) / f"dyadic-{uuid.uuid4().hex[:12]}"
            _staging.mkdir(parents=True)
        else:
            _staging = Path(tempfile.mkdtemp(prefix="dyadic-spark-"))
        atexit.register(shutil.rmtree, _staging, ignore_errors=True)
    return _staging


def to_arrow(backend, expr) -> pa.Table:
    """Run ``expr`` on ``backend`` and return the result as an Arrow table (no pandas round trip)."""
    sql = _sql(backend, expr)
    if is_spark(backend):
        return backend.raw_sql(sql).toArrow()
    return backend.con.execute(sql).fetch_arrow_table()


def _sql(backend, expr) -> str:
    """The expression's SQL for ``backend``, its in-memory tables (``ibis.memtable``) registered there."""
    backend._run_pre_execute_hooks(expr)
    return str(backend.compile(expr))


def execute(backend, expr, dictionary: Iterable[str] = ()) -> pd.DataFrame:
    """Run ``expr`` on ``backend``; missing values come back as NaN/None.

    Both engines hand over Arrow, converted to pandas the same way, so equal results give equal frames.
    (Ibis's own pandas conversion is several times slower on a million rows.)

    Args:
        dictionary: string columns to return as categoricals (Arrow dictionaries: a million codes never
            become a million Python strings).

    Returns:
        The result, columns in the expression's order.
    """
    tbl = to_arrow(backend, expr)
    wanted = set(dictionary)
    for i, name in enumerate(tbl.column_names):
        col = tbl.column(i)
        is_dict = pa.types.is_dictionary(col.type)
        if name in wanted and not is_dict:
            tbl = tbl.set_column(i, name, col.dictionary_encode())
        elif is_dict and name not in wanted:  # DuckDB hands ENUMs over as dictionaries, Spark as strings
            tbl = tbl.set_column(i, name, col.cast(col.type.value_type))
    return tbl.to_pandas()


def write_parquet(backend, expr, path: str | Path, partition_by: Iterable[str] = ()) -> Path:
    """Write ``expr`` as a Parquet dataset folder at ``path``, all of it or nothing.

    The engine writes into a temporary sibling folder; only when that is complete does it replace ``path``
    (an existing output stays untouched until then). On failure the temporary folder is removed.

    Args:
        backend: from :func:`connect`.
        expr: an Ibis table expression on that backend.
        path: the output folder.
        partition_by: columns to partition by (Hive layout, e.g. ``year=1990/``).

    Returns:
        ``path``.

    Raises:
        DyadicError: naming ``path`` and the cause, when the query or the write fails.
    """
    path = Path(path)
    parts = list(partition_by)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if is_spark(backend):
            writer = backend.raw_sql(_sql(backend, expr)).write.mode("errorifexists")
            (writer.partitionBy(*parts) if parts else writer).parquet(str(tmp))
        else:
            sql = _sql(backend, expr)
            if parts:
                cols = ", ".join(f'"{c}"' for c in parts)
                backend.con.execute(f"COPY ({sql}) TO '{_quote(tmp)}' (FORMAT parquet, PARTITION_BY ({cols}))")
            else:
                tmp.mkdir()
                backend.con.execute(f"COPY ({sql}) TO '{_quote(tmp / 'part-0.parquet')}' (FORMAT parquet)")
        _swap_in(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, DyadicError) or not isinstance(exc, Exception):
            raise
        raise DyadicError(f"cannot write {path}: {_first_line(exc)}") from exc
    return path


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


#: DuckDB type names -> Spark SQL types, for reading delimited text with a fixed schema.
_SPARK_TYPES = {"BIGINT": "long", "INTEGER": "integer", "SMALLINT": "short", "TINYINT": "byte", "DOUBLE": "double",
                "VARCHAR": "string", "DATE": "date", "BOOLEAN": "integer"}


def read_delimited(backend, paths: list[str | Path], columns: dict[str, str], name: str,
                   delim: str = "\t") -> ibis.Table:
    """Headerless delimited text files with a fixed schema as one Ibis table, plus a ``filename`` column.

    No quoting (GDELT fields hold quotes verbatim), empty fields are missing, dates are ``YYYYMMDD``, a
    line with the wrong number of fields or a value of the wrong type fails the query. BOOLEAN columns
    hold 0/1.

    Args:
        backend: from :func:`connect`.
        paths: plain or gzip-compressed files (local paths or, on Spark, any URI it reads: ``s3a://``,
            ``gs://``, ``hdfs://``).
        columns: column name -> DuckDB type name, in file order.
        name: the view name to register.
        delim: field separator.

    Returns:
        The table.
    """
    unknown = sorted({t for t in columns.values()} - set(_SPARK_TYPES))
    if unknown:
        raise RequestError(f"read_delimited: unsupported column types {unknown}")
    if not is_spark(backend):
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        backend.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_csv([{files}], delim='{delim}', header=false, "
            f"quote='', escape='', auto_detect=false, columns={columns!r}, dateformat='%Y%m%d', filename=true)")
        return backend.table(name)
    from pyspark.sql import functions as F

    schema = ", ".join(f"`{c}` {_SPARK_TYPES[t]}" for c, t in columns.items())
    df = (spark_session().read.schema(schema).option("sep", delim).option("header", "false").option("quote", "")
          .option("mode", "FAILFAST").option("dateFormat", "yyyyMMdd").csv([str(p) for p in paths]))
    df = df.select(*[(F.col(c) != 0).alias(c) if t == "BOOLEAN" else F.col(c) for c, t in columns.items()],
                   F.input_file_name().alias("filename"))
    df.createOrReplaceTempView(name)
    return backend.table(name)
