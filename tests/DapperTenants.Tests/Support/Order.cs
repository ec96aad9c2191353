namespace DapperTenants.Tests.Support;

public sealed record Order(int Id, string Tenant, decimal Total, string? Note);
