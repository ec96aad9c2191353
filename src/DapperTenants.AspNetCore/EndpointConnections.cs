using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Controllers;

namespace DapperTenants.AspNetCore;

/// <summary>
/// Which endpoints take a <see cref="TenantConnection"/> (a minimal API parameter, an MVC action parameter, or a
/// controller's constructor parameter), so the middleware can open it asynchronously before the endpoint runs.
/// </summary>
/// <remarks>
/// The DI container builds services synchronously. A connection opened there blocks a thread-pool thread while Npgsql
/// waits for a free physical connection; under a burst of requests larger than the pool, the threads that would finish
/// earlier requests (and free their connections) are the ones blocked, and requests time out. Opening in the middleware
/// awaits instead. Endpoints found nowhere here still get a connection opened on first use.
/// </remarks>
internal sealed class EndpointConnections
{
    private readonly ConcurrentDictionary<Endpoint, bool> _known = new();

    public bool Wants(Endpoint endpoint) => _known.GetOrAdd(endpoint, static e => Inspect(e));

    private static bool Inspect(Endpoint endpoint)
    {
        foreach (var parameter in endpoint.Metadata.GetOrderedMetadata<IParameterBindingMetadata>())
        {
            if (IsConnection(parameter.ParameterInfo.ParameterType))
            {
                return true;
            }
        }

        if (endpoint.Metadata.GetMetadata<ControllerActionDescriptor>() is { } action)
        {
            if (action.MethodInfo.GetParameters().Any(p => IsConnection(p.ParameterType)))
            {
                return true;
            }

            return action.ControllerTypeInfo.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
                .Any(c => c.GetParameters().Any(p => IsConnection(p.ParameterType)));
        }

        return false;
    }

    private static bool IsConnection(Type type) => typeof(TenantConnection).IsAssignableFrom(type);
}
