namespace DapperTenants.Tests.Reliability;

/// <summary>One pooling setup the leak fuzzer runs against.</summary>
/// <param name="Name">Readable name for the figures.</param>
/// <param name="CreateTenants">Creates the tenant data source for the setup.</param>
/// <param name="AsyncOnly">The setup supports only asynchronous calls (Npgsql multiplexing).</param>
/// <param name="TransactionScopes">Sessions sometimes run inside an enlisted <see cref="System.Transactions.TransactionScope"/>.</param>
public sealed record FuzzSetup(string Name, Func<TenantDataSource> CreateTenants, bool AsyncOnly = false, bool TransactionScopes = false);
