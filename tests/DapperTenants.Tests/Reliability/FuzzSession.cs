using System.Data.Common;

namespace DapperTenants.Tests.Reliability;

/// <summary>One lease of a tenant connection in the leak fuzzer: a random sequence of operations, each checked.</summary>
/// <remarks>
/// Every operation either succeeds, fails for a reason <see cref="FuzzFailures"/> accepts (counted by reason), or ends
/// the session with an unexpected exception. Writes never aim at the tenant's own canary rows, so a canary that changed
/// or disappeared was written across tenants.
/// </remarks>
internal sealed class FuzzSession(
    LeakFuzzer fuzzer, TenantConnection connection, int tenantIndex, bool sync, bool inScope, Random random, FuzzReport report, List<string> trace, bool readOnly = false)
{
    private const string Columns = "select id, tenant, payload, version from fuzz_items";

    /// <summary>What a read-only lease runs: every read shape, and the operations that fail or are cancelled on purpose.</summary>
    private static readonly FuzzOp[] ReadOnlyOps =
    [
        FuzzOp.Query, FuzzOp.QueryFirstOrDefault, FuzzOp.QuerySingleOrDefault, FuzzOp.QueryMultiple, FuzzOp.ExecuteScalar,
        FuzzOp.ExecuteReader, FuzzOp.UnbufferedQuery, FuzzOp.FailingStatement, FuzzOp.TimeoutOrCancellation,
    ];

    private readonly string _tenant = fuzzer.Tenants[tenantIndex];
    private bool _readerLeftOpen;
    private bool _broken;
    private int _stepsAfterAbort;

    /// <summary>An operation of this session's TransactionScope failed: its transaction is aborted.</summary>
    public bool ScopeAborted { get; private set; }

    public async Task StepAsync(bool explicitTransactions)
    {
        // After a failure aborted the scope's transaction, one more operation shows what an aborted enlisted transaction
        // does (25P02, no rows); more would only pad the collateral count.
        if (_readerLeftOpen || _broken || (ScopeAborted && _stepsAfterAbort++ > 0))
        {
            return;
        }

        // Npgsql breaks a connection whose command timeout's cancellation did not come back in time (a loaded machine);
        // it then refuses everything with "Connection is not open", as a closed one would.
        if (connection.State != System.Data.ConnectionState.Open)
        {
            _broken = true;
            trace.Add("connection broken");
            report.Failure(FuzzFailures.BrokenConnection);
            return;
        }

        var choice = random.Next(explicitTransactions ? 16 : 14);
        if (choice >= 14)
        {
            await TransactionAsync(withSavepoint: choice == 15);
            return;
        }

        await RunAsync(readOnly ? NextOp() : (FuzzOp)choice, transaction: null);
    }

    /// <summary>A random operation of those this lease runs (the draw of a read-write lease is unchanged).</summary>
    private FuzzOp NextOp() => readOnly ? ReadOnlyOps[random.Next(ReadOnlyOps.Length)] : (FuzzOp)random.Next(0, 14);

    /// <summary>Runs one operation; returns whether it succeeded. Unexpected exceptions and leaks propagate.</summary>
    private async Task<bool> RunAsync(FuzzOp op, DbTransaction? transaction)
    {
        report.Operation();
        try
        {
            await OperationAsync(op, transaction);
            report.Success();
            return true;
        }
        catch (Exception ex) when (ex is not LeakFuzzer.LeakException && FuzzFailures.Classify(op, ex, inScope, ScopeAborted) is { } reason)
        {
            report.Failure(reason);
            trace.Add("failed as expected");
            ScopeAborted |= inScope;
            return false;
        }
    }

    private async Task OperationAsync(FuzzOp op, DbTransaction? transaction)
    {
        switch (op)
        {
            case FuzzOp.Query:
                trace.Add("Query");
                Check(sync
                    ? connection.Query<FuzzRow>(Columns + " order by id desc limit 50", transaction: transaction)
                    : await connection.QueryAsync<FuzzRow>(Columns + " order by id desc limit 50", transaction: transaction), "Query");
                break;
            case FuzzOp.QueryFirstOrDefault:
            {
                trace.Add("QueryFirstOrDefault");
                var id = fuzzer.AnyId(random, tenantIndex);
                var row = sync
                    ? connection.QueryFirstOrDefault<FuzzRow>(Columns + " where id >= @id order by id", new { id }, transaction)
                    : await connection.QueryFirstOrDefaultAsync<FuzzRow>(Columns + " where id >= @id order by id", new { id }, transaction);
                Check(row is null ? [] : [row], "QueryFirstOrDefault");
                break;
            }

            case FuzzOp.QuerySingleOrDefault:
            {
                trace.Add("QuerySingleOrDefault");
                var id = fuzzer.AnyId(random, tenantIndex);
                var row = sync
                    ? connection.QuerySingleOrDefault<FuzzRow>(Columns + " where id = @id", new { id }, transaction)
                    : await connection.QuerySingleOrDefaultAsync<FuzzRow>(Columns + " where id = @id", new { id }, transaction);
                Check(row is null ? [] : [row], "QuerySingleOrDefault");
                break;
            }

            case FuzzOp.QueryMultiple:
            {
                trace.Add("QueryMultiple");
                const string sql = Columns + " order by id limit 5; select count(*) from fuzz_items where tenant <> @t; " + Columns + " where id = any(@ids)";
                var ids = new[] { fuzzer.AnyId(random, tenantIndex), fuzzer.AnyId(random, tenantIndex), fuzzer.AnyId(random, tenantIndex) };
                if (sync)
                {
                    using var grid = connection.QueryMultiple(sql, new { t = _tenant, ids }, transaction);
                    Check(grid.Read<FuzzRow>(), "QueryMultiple");
                    Foreign(grid.ReadSingle<long>(), "QueryMultiple count");
                    Check(grid.Read<FuzzRow>(), "QueryMultiple any(@ids)");
                }
                else
                {
                    await using var grid = await connection.QueryMultipleAsync(sql, new { t = _tenant, ids }, transaction);
                    Check(await grid.ReadAsync<FuzzRow>(), "QueryMultiple");
                    Foreign(await grid.ReadSingleAsync<long>(), "QueryMultiple count");
                    Check(await grid.ReadAsync<FuzzRow>(), "QueryMultiple any(@ids)");
                }

                break;
            }

            case FuzzOp.ExecuteScalar:
                trace.Add("ExecuteScalar");
                Foreign(sync
                    ? connection.ExecuteScalar<long>("select count(*) from fuzz_items where tenant <> @t", new { t = _tenant }, transaction)
                    : await connection.ExecuteScalarAsync<long>("select count(*) from fuzz_items where tenant <> @t", new { t = _tenant }, transaction), "ExecuteScalar");
                break;
            case FuzzOp.ExecuteReader:
            {
                var leaveOpen = transaction is null && random.Next(3) == 0;
                trace.Add(leaveOpen ? "ExecuteReader left open" : "ExecuteReader");
                var reader = sync ? (DbDataReader)connection.ExecuteReader(Columns + " order by id desc limit 20", transaction: transaction) : await connection.ExecuteReaderAsync(Columns + " order by id desc limit 20", transaction: transaction);
                Check(await LeakFuzzer.ReadAllAsync(reader, leaveOpen ? 1 : null), "ExecuteReader");
                if (leaveOpen)
                {
                    _readerLeftOpen = true;
                }
                else
                {
                    await reader.DisposeAsync();
                }

                break;
            }

            case FuzzOp.UnbufferedQuery:
            {
                trace.Add("unbuffered Query");
                var take = random.Next(1, 30);
                var rows = new List<FuzzRow>();
                if (sync)
                {
                    rows.AddRange(connection.Query<FuzzRow>(Columns + " order by id limit 30", transaction: transaction, buffered: false).Take(take));
                }
                else
                {
                    await foreach (var row in connection.QueryUnbufferedAsync<FuzzRow>(Columns + " order by id limit 30", transaction: transaction))
                    {
                        rows.Add(row);
                        if (rows.Count == take)
                        {
                            break;
                        }
                    }
                }

                Check(rows, "unbuffered Query");
                break;
            }

            case FuzzOp.Insert:
            case FuzzOp.InsertWithTenant:
            {
                var id = fuzzer.NewId();
                var explicitTenant = op == FuzzOp.InsertWithTenant;
                trace.Add(explicitTenant ? $"insert {id} with tenant" : $"insert {id}");
                var sql = explicitTenant
                    ? "insert into fuzz_items (id, tenant, payload) values (@id, @t, @p)"
                    : "insert into fuzz_items (id, payload) values (@id, @p)";
                var args = new { id, t = _tenant, p = _tenant + ":insert" };
                _ = sync ? connection.Execute(sql, args, transaction) : await connection.ExecuteAsync(sql, args, transaction);
                break;
            }

            case FuzzOp.Update:
            {
                trace.Add("update");
                var ids = Enumerable.Range(0, 4).Select(_ => fuzzer.AnyId(random, tenantIndex)).ToArray();
                const string sql = "update fuzz_items set version = version + 1, payload = @t || ':update' where id = any(@ids)";
                _ = sync ? connection.Execute(sql, new { t = _tenant, ids }, transaction) : await connection.ExecuteAsync(sql, new { t = _tenant, ids }, transaction);
                break;
            }

            case FuzzOp.Delete:
            {
                trace.Add("delete");
                var id = fuzzer.AnyId(random, tenantIndex);
                _ = sync ? connection.Execute("delete from fuzz_items where id = @id", new { id }, transaction) : await connection.ExecuteAsync("delete from fuzz_items where id = @id", new { id }, transaction);
                break;
            }

            case FuzzOp.Upsert:
            {
                trace.Add("upsert");
                var id = fuzzer.AnyId(random, tenantIndex);
                const string sql = "insert into fuzz_items (id, payload) values (@id, @p) on conflict (id) do update set version = fuzz_items.version + 1, payload = excluded.payload";
                _ = sync ? connection.Execute(sql, new { id, p = _tenant + ":upsert" }, transaction) : await connection.ExecuteAsync(sql, new { id, p = _tenant + ":upsert" }, transaction);
                break;
            }

            case FuzzOp.FailingStatement:
                trace.Add("failing statement");
                _ = sync ? connection.Execute("select 1/0", transaction: transaction) : await connection.ExecuteAsync("select 1/0", transaction: transaction);
                break;
            case FuzzOp.TimeoutOrCancellation:
                if (sync)
                {
                    trace.Add("command timeout");
                    _ = connection.Execute(new CommandDefinition("select pg_sleep(1.2)", transaction: transaction, commandTimeout: 1));
                }
                else
                {
                    trace.Add("cancellation");
                    using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(1, 40)));
                    _ = await connection.ExecuteAsync(new CommandDefinition("select pg_sleep(0.1)", transaction: transaction, cancellationToken: cancel.Token));
                }

                break;
            case FuzzOp.StatementTimeout:
                trace.Add("statement_timeout");
                _ = await connection.ExecuteAsync("set local statement_timeout = 5; select pg_sleep(0.1)", transaction: transaction);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "unknown operation");
        }
    }

    private async Task TransactionAsync(bool withSavepoint)
    {
        trace.Add(withSavepoint ? "begin (savepoint)" : "begin");
        await using var transaction = sync ? connection.BeginTransaction() : await connection.BeginTransactionAsync();
        if (random.Next(4) == 0 && !await RunAsync(FuzzOp.StatementTimeout, transaction))
        {
            trace.Add("rollback after failure");
            return;
        }

        for (var i = random.Next(1, 4); i > 0; i--)
        {
            if (!await RunAsync(NextOp(), transaction))
            {
                trace.Add("rollback after failure");
                return;
            }
        }

        if (withSavepoint)
        {
            await transaction.SaveAsync("fuzz");
            var failed = !await RunAsync(NextOp(), transaction);
            if (connection.State != System.Data.ConnectionState.Open)
            {
                trace.Add("connection broken");
                return;
            }

            trace.Add("rollback to savepoint");
            await transaction.RollbackAsync("fuzz");
            if (!await RunAsync((FuzzOp)random.Next(0, 7), transaction))
            {
                trace.Add(failed ? "rollback after failure" : "rollback after a failed read");
                return;
            }
        }

        if (random.Next(3) == 0)
        {
            trace.Add("rollback");
            await transaction.RollbackAsync();
        }
        else
        {
            trace.Add("commit");
            await transaction.CommitAsync();
        }
    }

    private void Check(IEnumerable<FuzzRow> rows, string what)
    {
        var count = 0;
        foreach (var row in rows)
        {
            count++;
            if (row.Tenant != _tenant || !row.Payload.StartsWith(_tenant + ":", StringComparison.Ordinal))
            {
                throw new LeakFuzzer.LeakException($"'{_tenant}' read row {row.Id} of '{row.Tenant}' through {what}");
            }
        }

        report.Read(count);
    }

    private void Foreign(long count, string what)
    {
        report.ForeignCount();
        if (count != 0)
        {
            throw new LeakFuzzer.LeakException($"'{_tenant}' counted {count} rows of other tenants through {what}");
        }
    }
}
