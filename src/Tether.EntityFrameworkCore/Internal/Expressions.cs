using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>Small helpers for the queries built from a model's key and rule columns.</summary>
internal static class Expressions
{
    /// <summary><paramref name="lambda"/>'s body with its one parameter replaced by <paramref name="argument"/>.</summary>
    public static Expression Inline(LambdaExpression lambda, Expression argument)
        => new Replacer(lambda.Parameters[0], argument).Visit(lambda.Body);

    /// <summary>A read of <paramref name="value"/> that EF Core sends as a parameter.</summary>
    public static Expression Parameter<T>(T value) => Expression.Field(Expression.Constant(new Box<T>(value)), nameof(Box<T>.Value));

    /// <summary>A read of <paramref name="values"/> that EF Core sends as one array parameter (<c>json_each</c> on
    /// SQLite, <c>= ANY</c> on PostgreSQL), however many there are: its default, a parameter per value, fails past
    /// the database's limit of parameters (32766 on SQLite), and makes a query of each count.</summary>
    public static Expression Collection<T>(T[] values)
        => Expression.Call(new Func<T[], T[]>(EF.Parameter).Method, Parameter(values));

    private sealed class Replacer(ParameterExpression parameter, Expression argument) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? argument : node;
    }
}
