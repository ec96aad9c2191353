namespace DapperTenants.Tests.Reliability;

/// <summary>One pooling setup the leak fuzzer runs against.</summary>
/// <param name="Name">Readable name for the figures.</param>
/// <param name="CreateTenants">Creates the tenant data source for the setup.</param>
/// <param name="AsyncOnly">The setup supports only asynchronous calls (Npgsql multiplexing).</param>
/// <param name="TransactionScopes">Sessions sometimes run inside an enlisted <see cref="System.Transactions.TransactionScope"/>.</param>
/// <param name="ReadOnlySessions">
/// Half the sessions are read-only leases (<see cref="TenantDataSource.OpenReadOnly"/>, on a standby over a multi-host
/// data source) that run only the read operations, failing statements and cancellations; the others open as usual.
/// </param>
public sealed record FuzzSetup(string Name, Func<TenantDataSource> CreateTenants, bool AsyncOnly = false, bool TransactionScopes = false, bool ReadOnlySessions = false);
