namespace DapperTenants.AspNetCore;

/// <summary>
/// Marks a controller, an action or an endpoint that runs without a tenant. Every other endpoint needs one: a request
/// that names none is answered by <c>UseDapperTenants()</c> (404 with a ProblemDetails body unless configured otherwise).
/// </summary>
/// <remarks>
/// A tenant the request does name is still resolved and checked: an invalid value is still refused with 400, and a
/// value that disagrees with the signed-in user's claim with 403. A <see cref="TenantConnection"/> injected into such an
/// endpoint when the request names no tenant throws <see cref="InvalidOperationException"/>.
/// For minimal APIs, <c>.AllowWithoutTenant()</c> adds this attribute as endpoint metadata.
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class AllowWithoutTenantAttribute : Attribute
{
}
