using Npgsql;

namespace DapperTenants;

/// <content>The installer refuses a standby server: it is read-only, and receives the primary's policies by replication.</content>
public sealed partial class PolicyInstaller
{
    private const string InRecoverySql = "select pg_is_in_recovery()";

    private static void RefuseStandby(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand(InRecoverySql, connection);
        if (command.ExecuteScalar() is true)
        {
            throw StandbyRefused(connection);
        }
    }

    private static async Task RefuseStandbyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(InRecoverySql, connection);
        await using (command.ConfigureAwait(false))
        {
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                throw StandbyRefused(connection);
            }
        }
    }

    private static InvalidOperationException StandbyRefused(NpgsqlConnection connection) => new(
        $"The policy installer is connected to {connection.Host}:{connection.Port}, a standby server (pg_is_in_recovery() is true). "
        + "A standby is read-only and receives the primary's policies by replication, so policies are planned and applied on the "
        + "primary only. Connect the installer's owner data source to the primary; with several hosts in its connection string, "
        + "add 'Target Session Attributes=primary'.");
}
