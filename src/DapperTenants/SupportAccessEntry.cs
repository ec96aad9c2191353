namespace DapperTenants;

/// <summary>One row of the access log: one support session.</summary>
public sealed class SupportAccessEntry
{
    internal SupportAccessEntry(
        long id, string actor, string reason, bool allTenants, IReadOnlyList<string> tenants, bool allowWrites, DateTimeOffset startedAt,
        string login, int backendPid, string? clientAddress, string? applicationName)
    {
        Id = id;
        Actor = actor;
        Reason = reason;
        AllTenants = allTenants;
        Tenants = tenants;
        AllowWrites = allowWrites;
        StartedAt = startedAt;
        Login = login;
        BackendPid = backendPid;
        ClientAddress = clientAddress;
        ApplicationName = applicationName;
    }

    /// <summary>The row's id, increasing with time.</summary>
    public long Id { get; }

    /// <summary>Who worked, as the support application said.</summary>
    public string Actor { get; }

    /// <summary>Why, as the support application said.</summary>
    public string Reason { get; }

    /// <summary>Whether the session could see every tenant.</summary>
    public bool AllTenants { get; }

    /// <summary>The tenants the session could see; empty when <see cref="AllTenants"/>.</summary>
    public IReadOnlyList<string> Tenants { get; }

    /// <summary>Whether the session could write.</summary>
    public bool AllowWrites { get; }

    /// <summary>When the session wrote its log row (the server's clock).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The PostgreSQL login of the session, as the server knows it (<c>session_user</c>): not something the client claims.</summary>
    public string Login { get; }

    /// <summary>The server process of the session.</summary>
    public int BackendPid { get; }

    /// <summary>The client's address, or <see langword="null"/> over a Unix socket.</summary>
    public string? ClientAddress { get; }

    /// <summary>The session's <c>application_name</c> (set by the client, so informative only).</summary>
    public string? ApplicationName { get; }
}
