using Tether.Tool;

return await TetherCommands.Build().Parse(args).InvokeAsync();
