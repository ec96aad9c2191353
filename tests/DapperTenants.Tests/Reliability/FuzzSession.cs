using System.Data.Common;

namespace DapperTenants.Tests.Reliability;

/// <summary>One lease of a tenant connection in the leak fuzzer: a random sequence of operations, each checked.</summary>
internal sealed class FuzzSession(LeakFuzzer fuzzer, TenantConnection connection, string tenant, bool sync, Random random, FuzzReport report, List<string> trace)
{
    private const string Columns = "select id, tenant, payload, version from fuzz_items";
    private bool _readerLeftOpen;

    public async Task StepAsync(bool explicitTransactions)
    {
        if (_readerLeftOpen)
        {
            return;
        }

        // Npgsql closes a connection it had to break (a command timeout whose cancellation did not come back in time
        // on a loaded machine); it then refuses everything with "Connection is not open", as a plain one would.
        if (connection.State != System.Data.ConnectionState.Open)
        {
            if (trace[^1] != "connection broken")
            {
                trace.Add("connection broken");
                report.ExpectedFailure();
            }

            return;
        }

        var choice = random.Next(explicitTransactions ? 16 : 14);
        if (choice >= 14)
        {
            await TransactionAsync(withSavepoint: choice == 15);
            return;
        }

        try
        {
            await OperationAsync(choice, transaction: null);
        }
        catch (Exception ex) when (LeakFuzzer.IsExpected(ex))
        {
            report.ExpectedFailure();
        }
    }

    private async Task OperationAsync(int choice, DbTransaction? transaction)
    {
        report.Operation();
        switch (choice)
        {
            case 0:
                trace.Add("Query");
                LeakFuzzer.Check(sync
                    ? connection.Query<FuzzRow>(Columns + " order by id desc limit 50", transaction: transaction)
                    : await connection.QueryAsync<FuzzRow>(Columns + " order by id desc limit 50", transaction: transaction), tenant, report, "Query");
                break;
            case 1:
            {
                trace.Add("QueryFirstOrDefault");
                var id = fuzzer.AnyId(random);
                var row = sync
                    ? connection.QueryFirstOrDefault<FuzzRow>(Columns + " where id >= @id order by id", new { id }, transaction)
                    : await connection.QueryFirstOrDefaultAsync<FuzzRow>(Columns + " where id >= @id order by id", new { id }, transaction);
                LeakFuzzer.Check(row is null ? [] : [row], tenant, report, "QueryFirstOrDefault");
                break;
            }

            case 2:
            {
                trace.Add("QuerySingleOrDefault");
                var id = fuzzer.AnyId(random);
                var row = sync
                    ? connection.QuerySingleOrDefault<FuzzRow>(Columns + " where id = @id", new { id }, transaction)
                    : await connection.QuerySingleOrDefaultAsync<FuzzRow>(Columns + " where id = @id", new { id }, transaction);
                LeakFuzzer.Check(row is null ? [] : [row], tenant, report, "QuerySingleOrDefault");
                break;
            }

            case 3:
            {
                trace.Add("QueryMultiple");
                const string sql = Columns + " order by id limit 5; select count(*) from fuzz_items where tenant <> @t; " + Columns + " where id = any(@ids)";
                var ids = new[] { fuzzer.AnyId(random), fuzzer.AnyId(random), fuzzer.AnyId(random) };
                if (sync)
                {
                    using var grid = connection.QueryMultiple(sql, new { t = tenant, ids }, transaction);
                    LeakFuzzer.Check(grid.Read<FuzzRow>(), tenant, report, "QueryMultiple");
                    Foreign(grid.ReadSingle<long>(), "QueryMultiple count");
                    LeakFuzzer.Check(grid.Read<FuzzRow>(), tenant, report, "QueryMultiple any(@ids)");
                }
                else
                {
                    await using var grid = await connection.QueryMultipleAsync(sql, new { t = tenant, ids }, transaction);
                    LeakFuzzer.Check(await grid.ReadAsync<FuzzRow>(), tenant, report, "QueryMultiple");
                    Foreign(await grid.ReadSingleAsync<long>(), "QueryMultiple count");
                    LeakFuzzer.Check(await grid.ReadAsync<FuzzRow>(), tenant, report, "QueryMultiple any(@ids)");
                }

                break;
            }

            case 4:
                trace.Add("ExecuteScalar");
                Foreign(sync
                    ? connection.ExecuteScalar<long>("select count(*) from fuzz_items where tenant <> @t", new { t = tenant }, transaction)
                    : await connection.ExecuteScalarAsync<long>("select count(*) from fuzz_items where tenant <> @t", new { t = tenant }, transaction), "ExecuteScalar");
                break;
            case 5:
            {
                var leaveOpen = transaction is null && random.Next(3) == 0;
                trace.Add(leaveOpen ? "ExecuteReader left open" : "ExecuteReader");
                var reader = sync ? (DbDataReader)connection.ExecuteReader(Columns + " order by id desc limit 20", transaction: transaction) : await connection.ExecuteReaderAsync(Columns + " order by id desc limit 20", transaction: transaction);
                LeakFuzzer.Check(await LeakFuzzer.ReadAllAsync(reader, leaveOpen ? 1 : null), tenant, report, "ExecuteReader");
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

            case 6:
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

                LeakFuzzer.Check(rows, tenant, report, "unbuffered Query");
                break;
            }
            case 7:
            case 8:
            {
                var id = fuzzer.NewId();
                var explicitTenant = choice == 8;
                trace.Add(explicitTenant ? $"insert {id} with tenant" : $"insert {id}");
                var sql = explicitTenant
                    ? "insert into fuzz_items (id, tenant, payload) values (@id, @t, @p)"
                    : "insert into fuzz_items (id, payload) values (@id, @p)";
                var args = new { id, t = tenant, p = tenant + ":insert" };
                _ = sync ? connection.Execute(sql, args, transaction) : await connection.ExecuteAsync(sql, args, transaction);

                break;
            }

            case 9:
            {
                trace.Add("update");
                var ids = Enumerable.Range(0, 4).Select(_ => fuzzer.AnyId(random)).ToArray();
                const string sql = "update fuzz_items set version = version + 1, payload = @t || ':update' where id = any(@ids)";
                _ = sync ? connection.Execute(sql, new { t = tenant, ids }, transaction) : await connection.ExecuteAsync(sql, new { t = tenant, ids }, transaction);
                break;
            }

            case 10:
            {
                trace.Add("delete");
                var id = fuzzer.AnyId(random);
                _ = sync ? connection.Execute("delete from fuzz_items where id = @id", new { id }, transaction) : await connection.ExecuteAsync("delete from fuzz_items where id = @id", new { id }, transaction);

                break;
            }

            case 11:
            {
                trace.Add("upsert");
                var id = fuzzer.AnyId(random);
                const string sql = "insert into fuzz_items (id, payload) values (@id, @p) on conflict (id) do update set version = fuzz_items.version + 1, payload = excluded.payload";
                _ = sync ? connection.Execute(sql, new { id, p = tenant + ":upsert" }, transaction) : await connection.ExecuteAsync(sql, new { id, p = tenant + ":upsert" }, transaction);
                break;
            }

            case 12:
                trace.Add("failing statement");
                _ = sync ? connection.Execute("select 1/0", transaction: transaction) : await connection.ExecuteAsync("select 1/0", transaction: transaction);
                break;
            default:
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
        }
    }

    private async Task TransactionAsync(bool withSavepoint)
    {
        trace.Add(withSavepoint ? "begin (savepoint)" : "begin");
        await using var transaction = sync ? connection.BeginTransaction() : await connection.BeginTransactionAsync();
        try
        {
            if (random.Next(4) == 0)
            {
                trace.Add("statement_timeout");
                report.Operation();
                _ = await connection.ExecuteAsync("set local statement_timeout = 5; select pg_sleep(0.1)", transaction: transaction);
            }

            for (var i = random.Next(1, 4); i > 0; i--)
            {
                await OperationAsync(random.Next(0, 13), transaction);
            }

            if (withSavepoint)
            {
                await transaction.SaveAsync("fuzz");
                await OperationAsync(random.Next(0, 13), transaction);
                trace.Add("rollback to savepoint");
                await transaction.RollbackAsync("fuzz");
                await OperationAsync(random.Next(0, 7), transaction);
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
        catch (Exception ex) when (LeakFuzzer.IsExpected(ex))
        {
            report.ExpectedFailure();
            trace.Add("rollback after failure");
        }
    }

    private void Foreign(long count, string what)
    {
        report.Rows(1);
        if (count != 0)
        {
            throw new LeakFuzzer.LeakException($"'{tenant}' counted {count} rows of other tenants through {what}");
        }
    }
}
