Console.Error.WriteLine("align: not yet wired");
return 2;
